"""Prometheus metrics, one registry per bot so several bots in one test process never mix."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.answers = Counter(
            "studybot_answers_total",
            "Answers by outcome (recorded, already, closed, ...)",
            ["outcome"],
            registry=self.registry,
        )
        self.posts = Counter(
            "studybot_posts_sent_total", "Daily questions posted", ["platform"], registry=self.registry
        )
        self.reminders = Counter(
            "studybot_reminders_sent_total",
            "Review reminders sent by direct message",
            ["platform"],
            registry=self.registry,
        )
        self.reveal_lag = Histogram(
            "studybot_reveal_lag_seconds",
            "How late a reveal ran after its time",
            buckets=(0.1, 0.5, 1, 5, 30, 60, 300, 3600),
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "studybot_command_seconds",
            "Time to run a command",
            ["command"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
            registry=self.registry,
        )
        self.errors = Counter("studybot_errors_total", "Errors by kind", ["kind"], registry=self.registry)
        self._answer_counters: dict[str, Counter] = {}

    def count_answer(self, outcome: str) -> None:
        # Every click lands here; labels() takes a lock and validates, so look each outcome up once.
        counter = self._answer_counters.get(outcome)
        if counter is None:
            counter = self._answer_counters[outcome] = self.answers.labels(outcome)
        counter.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
