"""Every question, reveal and lookup of the shipped bank, as the Discord adapter renders it, within
Discord's documented message limits (the fake's rules): one oversized reveal would fail at 17:00."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.discord.components import question_view
from adapters.discord.embeds import lookup_embed, question_embed, reveal_embed
from bot.config import PROJECT_ROOT
from bot.content import load_content
from bot.lookup import LookupIndex
from bot.models import Post, PostKind, PostResults, PostStatus
from tests.fakes.discord_rules import FormErrors, check_message

BANK = load_content(PROJECT_ROOT / "content")


def refused(body: dict, endpoint: str) -> dict:
    errors = FormErrors()
    check_message(body, errors, [], endpoint=endpoint)  # type: ignore[arg-type]
    return errors.body()["errors"] if errors else {}


@pytest.mark.parametrize("locale", ["ja", "en"])
async def test_every_question_and_its_reveal_fit(locale):
    problems = {}
    for i, question in enumerate(BANK.questions.values()):
        post = Post(i + 1, PostKind.DAILY, 1, 1, None, question.id, "2026-12-02", 0.0, 3600.0, PostStatus.OPEN, "1")
        view = question_view(post, question, locale)
        body = {"embeds": [question_embed(post, question, locale).to_dict()], "components": view.to_components()}
        results = PostResults(10_000, 9_999, {c.id: 10_000 for c in question.choices})  # the widest counts
        reveal = {"embeds": [reveal_embed(question, results, locale).to_dict()], "components": []}
        for name, found in (("post", refused(body, "create")), ("reveal", refused(reveal, "edit"))):
            if found:
                problems[f"{question.id} {name}"] = found
    assert len(BANK.questions) > 400
    assert problems == {}


async def test_every_lookup_entry_fits():
    index = LookupIndex(BANK.entries)
    problems = {}
    for entry in BANK.entries.values():
        body = {"embeds": [lookup_embed(index.find(entry.id), "ja").to_dict()], "flags": 64}
        if found := refused(body, "followup"):
            problems[entry.id] = found
    assert len(BANK.entries) > 250
    assert problems == {}


async def test_a_reveal_past_the_total_embed_size_is_cut_to_fit():
    """An imported question may be far longer than ours: the reveal still goes out, shortened."""
    question = next(q for q in BANK.questions.values() if len(q.choices) >= 5)
    long = replace(
        question,
        prompt="長い問題文。" * 1000,
        choices=tuple(replace(c, text="選択肢" * 100, explanation="解説" * 600) for c in question.choices),
        explanation="全体の解説" * 300,
    )
    embed = reveal_embed(long, PostResults(3, 1, {}), "ja")
    assert refused({"embeds": [embed.to_dict()]}, "edit") == {}
    assert len(embed) <= 6000 and embed.description.endswith("…")
