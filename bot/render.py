"""Plain-text rendering of the core's results, in the community's language.

The console prints these as they are; the Slack and Discord adapters use them as notification
text and build their richer layouts from the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.commands import format_days
from bot.content import Question
from bot.core import AnswerFeedback, DailyResult, Leaderboard
from bot.i18n import board_row, percent, t
from bot.lookup import LookupResult
from bot.models import AnswerStatus, Post, PostKind, PostResults, Schedule
from bot.reviews import ReviewPick
from bot.stats import UserStats
from bot.study_commands import (
    BoardReply,
    DailyReply,
    LookupReply,
    Message,
    QuestionReply,
    Reply,
    ScheduleReply,
    StatsReply,
)


def choice_label(choice_id: str) -> str:
    return choice_id.upper()


def labels(choice_ids: tuple[str, ...] | frozenset[str]) -> str:
    return ", ".join(choice_label(c) for c in sorted(choice_ids))


def local_time(timestamp: float, timezone: str, since: float | None = None) -> str:
    """A moment as people there read it, with its time zone named ("17:00 (Asia/Tokyo)"): the hour alone
    when it falls on the local day of `since`, else with the date ("11/24 09:00 (Asia/Tokyo)")."""
    zone = ZoneInfo(timezone)
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(zone)
    same_day = since is not None and datetime.fromtimestamp(since, UTC).astimezone(zone).date() == moment.date()
    return f"{moment.strftime('%H:%M' if same_day else '%m/%d %H:%M')} ({timezone})"


def duration_text(minutes: int, locale: str) -> str:
    """A delay as people say it: "2分" / "2 min", "8時間" / "8 h", "1時間30分" / "1 h 30 min"."""
    hours, rest = divmod(max(0, int(minutes)), 60)
    parts = []
    if hours:
        parts.append(t(locale, "duration.hours", n=hours))
    if rest or not hours:
        parts.append(t(locale, "duration.minutes", n=rest))
    return t(locale, "duration.join").join(parts)


def closing_text(post: Post, timezone: str, locale: str) -> str | None:
    """When a daily post stops taking answers, for the post itself; None for a practice question."""
    if post.kind != PostKind.DAILY or not post.reveal_at:
        return None
    return t(locale, "post.closes_at", when=local_time(post.reveal_at, timezone, since=post.posted_at))


def question_title(post: Post, question: Question, locale: str, review: ReviewPick | None = None) -> str:
    key = "review.title" if review else "post.daily_title" if post.kind == PostKind.DAILY else "post.practice_title"
    return t(locale, key, exams=", ".join(question.exams))


def review_note(review: ReviewPick | None, locale: str) -> str | None:
    """Under a review question: how many more are due today, or that it is a new one."""
    if review is None:
        return None
    return t(locale, "review.new") if review.new else t(locale, "review.due_left", left=review.due_left)


def question_text(
    post: Post, question: Question, locale: str, timezone: str | None = None, review: ReviewPick | None = None
) -> str:
    lines = [question_title(post, question, locale, review)]
    closing = closing_text(post, timezone, locale) if timezone else review_note(review, locale)
    if closing:
        lines.append(closing)
    lines += ["", question.prompt.strip(), ""]
    lines += [f"{choice_label(c.id)}. {c.text}" for c in question.choices]
    return "\n".join(lines)


def feedback_text(fb: AnswerFeedback, timezone: str | None = None) -> str:
    loc, out = fb.locale, fb.outcome
    if fb.error_key:
        return t(loc, fb.error_key, **fb.error_params)
    if out.status == AnswerStatus.ALREADY:
        return t(loc, "answer.already", choices=labels(out.choices))
    if out.status == AnswerStatus.CLOSED:
        return closed_text(fb)
    if out.status != AnswerStatus.RECORDED:
        return t(loc, f"answer.{out.status.value}")
    assert fb.question is not None
    practice = fb.post is not None and fb.post.kind == PostKind.PRACTICE
    if practice:
        head = t(loc, "answer.correct_practice" if out.correct else "answer.wrong_practice")
    elif out.correct:
        head = t(loc, "answer.correct", points=out.points, streak=out.streak)
    else:
        head = t(loc, "answer.wrong", streak=out.streak)
    lines = [head, t(loc, "answer.your_choice", choices=labels(out.choices))]
    for choice_id in out.choices:
        if why := fb.question.choice(choice_id).explanation:  # imported material may explain no choice
            lines.append(f"{choice_label(choice_id)}: {why}")
    if practice:
        lines += ["", t(loc, "answer.practice_answer", choices=labels(fb.question.answer)), fb.question.explanation]
    elif fb.post is not None and fb.post.reveal_at and timezone:
        when = local_time(fb.post.reveal_at, timezone, since=fb.post.posted_at)
        lines.append(t(loc, "answer.reveal_later", when=when))
    return "\n".join(lines)


def closed_text(fb: AnswerFeedback) -> str:
    """A click after the post closed, told the truth about the reveal: landed, under way, or failed
    (then the answer is given here, since the channel never got it)."""
    post, loc = fb.post, fb.locale
    if post is None or post.revealed_at is not None:
        return t(loc, "answer.closed")
    if post.reveal_error is None or fb.question is None:
        return t(loc, "answer.closed_revealing")
    lines = [t(loc, "answer.closed_unrevealed", answer=labels(fb.question.answer)), fb.question.explanation.strip()]
    return "\n".join(lines)


def reveal_text(question: Question, results: PostResults, locale: str) -> str:
    lines = [t(locale, "reveal.title", answer=labels(question.answer))]
    if results.answered:
        lines.append(
            t(locale, "reveal.results", answered=results.answered, share=percent(results.correct, results.answered))
        )
    else:
        lines.append(t(locale, "reveal.no_answers"))
    lines.append("")
    for c in question.choices:
        mark = "⭕" if c.id in question.answer else "❌"
        count = results.by_choice.get(c.id, 0)
        lines.append(
            f"{mark} {choice_label(c.id)}. {c.text}（{count}）" + (f"\n   {c.explanation}" if c.explanation else "")
        )
    lines += ["", f"{t(locale, 'reveal.explanation')}: {question.explanation.strip()}"]
    lines.append(
        t(locale, "reveal.source", title=question.source.title or question.source.seed, section=question.source.section)
    )
    return "\n".join(lines)


def lookup_text(result: LookupResult, locale: str, prefix: str = "/") -> str:
    """`prefix` is how the platform's users type a command: the hint for an entry is `{prefix}lookup ID`
    ("/study lookup ID" in Slack, where there is no /lookup)."""
    if result.entry is not None:
        e = result.entry
        lines = [f"🔎 {e.term}" + (f"（{', '.join(e.aliases[:4])}）" if e.aliases else "")]
        if e.status == "legacy":
            lines.append(t(locale, "lookup.legacy"))
        lines += [f"・{line}" for line in e.summary]
        if result.related:
            lines.append(t(locale, "lookup.related", terms=", ".join(r.term for r in result.related)))
        return "\n".join(lines)
    if result.choices:
        lines = [t(locale, "lookup.many", query=result.query, count=len(result.choices))]
        lines += [f"・{e.term}（{prefix}lookup {e.id}）" for e in result.choices]
        return "\n".join(lines)
    lines = [t(locale, "lookup.none", query=result.query)]
    if result.suggestions:
        lines.append(t(locale, "lookup.suggest", terms=", ".join(e.term for e in result.suggestions)))
    return "\n".join(lines)


def leaderboard_text(board: Leaderboard, escape: Callable[[str], str] = str) -> str:
    """`escape` makes user names inert in the platform's markup (a name like `**x**` or `<@1>`)."""
    loc = board.locale
    scope = t(loc, "board.channel_scope", channel=board.channel_name) if board.channel_name else ""
    lines = [t(loc, "board.title", period=t(loc, f"board.{board.period}"), scope=scope)]
    if not board.rows:
        lines.append(t(loc, "board.empty"))
    for row in board.rows:
        lines.append(board_row(loc, row, escape))
    if board.me is not None and board.me.rank > len(board.rows):
        lines.append(t(loc, "board.you", rank=board.me.rank, points=board.me.points))
    return "\n".join(lines)


def stats_text(stats: UserStats, escape: Callable[[str], str] = str) -> str:
    loc = stats.locale
    lines = [t(loc, "stats.title", name=escape(stats.name))]
    if not stats.total.answered:
        lines.append(t(loc, "stats.none"))
        return "\n".join(lines)
    total = stats.total
    lines.append(
        t(
            loc,
            "stats.totals",
            answered=total.answered,
            correct=total.correct,
            accuracy=percent(total.correct, total.answered),
        )
    )
    lines.append(t(loc, "stats.split", daily=stats.daily, practice=stats.practice))
    lines.append(t(loc, "stats.streak", current=stats.streak.current, best=stats.streak.best))
    for title, table in (("stats.by_exam", stats.by_exam), ("stats.by_service", stats.by_service)):
        lines.append(t(loc, title))
        for name, tally in table.items():
            lines.append(
                "  "
                + t(
                    loc,
                    "stats.line",
                    name=name,
                    correct=tally.correct,
                    answered=tally.answered,
                    accuracy=percent(tally.correct, tally.answered),
                )
            )
    lines += readiness_lines(stats)
    return "\n".join(lines)


def readiness_lines(stats: UserStats) -> list[str]:
    """Per exam studied: the expected share answered right today, and the five weakest services."""
    loc = stats.locale
    if not stats.readiness:
        return []
    lines = [t(loc, "stats.readiness")]
    for exam in stats.readiness:
        share = f"{round(100 * exam.share)}%"
        lines.append("  " + t(loc, "stats.readiness_line", exam=exam.exam, share=share, seen=exam.seen, pool=exam.pool))
        weakest = ", ".join(f"{w.service} {round(100 * w.share)}%" for w in exam.weakest)
        if weakest:
            lines.append("    " + t(loc, "stats.weakest", services=weakest))
    return lines


def schedule_text(schedule: Schedule, locale: str) -> str:
    only = " / ".join(x for x in (schedule.exam, schedule.service) if x)
    reveal = duration_text(schedule.reveal_minutes, locale)
    return t(
        locale,
        "daily.set",
        days=format_days(schedule.weekdays),
        time=schedule.at.strftime("%H:%M"),
        timezone=schedule.timezone,
        filter=t(locale, "daily.filter", filter=only) if only else "",
        reveal=reveal,
    )


def daily_result_text(result: DailyResult, locale: str) -> str:
    return t(locale, result.key, error=result.error)


def reply_text(reply: Reply) -> str:
    """Any command reply as plain text."""
    match reply:
        case Message(text=text):
            return text
        case QuestionReply(view=view):
            return question_text(view.post, view.question, view.locale, review=view.review)
        case LookupReply(result=result, locale=locale):
            return lookup_text(result, locale)
        case BoardReply(board=board):
            return leaderboard_text(board)
        case StatsReply(stats=stats):
            return stats_text(stats)
        case ScheduleReply(schedule=schedule, locale=locale):
            return schedule_text(schedule, locale)
        case DailyReply(result=result, locale=locale):
            return daily_result_text(result, locale)
    raise TypeError(f"unknown reply {reply!r}")
