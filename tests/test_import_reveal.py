"""Imported questions without an explanation per choice (issue 16 point 5): the reveal shows what
exists, in the console text, Discord's embed and Slack's blocks, each within the platform's rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.discord.embeds import lookup_embed, reveal_embed
from adapters.slack.blocks import lookup_blocks, reveal_blocks
from bot.content import load_content
from bot.importing import ImportOptions, import_files
from bot.importing.pack_check import load_pack
from bot.lookup import LookupIndex
from bot.models import PostResults
from bot.render import reveal_text
from bot.snapshots import dump_question, load_question
from tests.fakes.discord_rules import FormErrors, check_message
from tests.fakes.slack_rules import check_message as slack_check
from tests.import_support import FIXTURES, content_copy

RESULTS = PostResults(4, 3, {"a": 3, "b": 1})


@pytest.fixture
def pack(tmp_path):
    content = content_copy(tmp_path)
    files = [FIXTURES / "dva-practice-ja.md", FIXTURES / "saa-questions-en.md"]
    import_files(
        content,
        files,
        ImportOptions(pack="team"),
        notes=[FIXTURES / "team-notes.md"],
        meta={"licence": "MIT", "source": "s"},
    )
    core = load_content(content)
    return core, load_pack(content / "packs" / "team", core)


def by_prompt(bank, start: str):
    return next(q for q in bank.questions.values() if q.prompt.startswith(start))


def discord_refused(body: dict) -> dict:
    errors = FormErrors()
    check_message(body, errors, [], endpoint="edit")  # type: ignore[arg-type]
    return errors.body()["errors"] if errors else {}


def test_the_console_reveal_shows_only_the_explanations_there_are(pack):
    _, bank = pack
    partial = by_prompt(bank, "A company wants to route users")
    assert not partial.choice_explanations
    text = reveal_text(partial, RESULTS, "en")
    assert "simple routing has no notion of latency." in text
    assert "⭕ A. Latency-based routing（3）\n❌ B. Simple routing（1）\n   simple routing has no notion" in text
    assert "\n   \n" not in text and not text.count("\n   -")
    full = by_prompt(bank, "ある EC サイトは")
    assert full.choice_explanations
    assert all(c.explanation in reveal_text(full, RESULTS, "ja") for c in full.choices)


def test_the_discord_reveal_puts_the_choice_in_the_field_value(pack):
    _, bank = pack
    partial = by_prompt(bank, "A company wants to route users")
    embed = reveal_embed(partial, RESULTS, "en")
    assert discord_refused({"embeds": [embed.to_dict()]}) == {}
    fields = [(f.name, f.value) for f in embed.fields]
    assert fields[0] == ("⭕ A（3）", "Latency-based routing")
    assert fields[1] == ("❌ B. Simple routing（1）", "simple routing has no notion of latency.")  # explained: as usual
    full = by_prompt(bank, "ある EC サイトは")
    fields = reveal_embed(full, RESULTS, "ja").fields
    assert fields[0].value == full.choices[0].explanation  # explained questions keep their layout


def test_the_slack_reveal_shows_the_choice_text_alone(pack):
    _, bank = pack
    for question in bank.questions.values():
        blocks = reveal_blocks(question, RESULTS, "ja")
        assert slack_check({"text": "reveal", "blocks": blocks}) is None
    partial = by_prompt(bank, "何度処理しても")
    texts = [b["text"]["text"] for b in reveal_blocks(partial, RESULTS, "ja") if b["type"] == "section"]
    assert "デッドレターキュー" in texts and "遅延キュー" in texts


def test_a_snapshot_keeps_the_mark(pack):
    """A post's snapshot of its question (a reveal after the pack changed) keeps what it showed."""
    _, bank = pack
    partial = by_prompt(bank, "何度処理しても")
    again = load_question(dump_question(partial))
    assert again == replace(partial, file="")


def test_lookup_entries_from_notes_are_found_and_fit(pack):
    core, bank = pack
    index = LookupIndex({**core.entries, **bank.entries})
    found = index.find("DLQ")
    assert found.entry is not None and found.entry.term == "Dead Letter Queue"
    assert [r.term for r in found.related] == ["Amazon Simple Queue Service"]
    assert index.find("KMS").entry.term == "AWS Key Management Service"  # type: ignore[union-attr]
    for entry in bank.entries.values():
        result = index.find(entry.id)
        assert discord_refused({"embeds": [lookup_embed(result, "ja").to_dict()], "flags": 64}) == {}
        assert slack_check({"text": "lookup", "blocks": lookup_blocks(result, "ja")}) is None
