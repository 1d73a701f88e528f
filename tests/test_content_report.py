"""The content report, and the bank-wide checks it makes possible."""

from __future__ import annotations

from dataclasses import replace

from bot.cli import main
from bot.config import PROJECT_ROOT
from bot.content import load_content
from bot.content_report import near_duplicates, report
from tests.conftest import FIXTURE_CONTENT


def test_report_counts_and_gaps(content):
    text = report(content)
    assert "questions: 4   multi-select: 1 (25%)   lookup entries: 7" in text
    assert "DOP-C02 2  DVA-C02 2  SAA-C03 1" in text
    assert "services with lookups but no question: opsworks" in text
    assert "near-duplicate questions: none" in text


def test_near_duplicates_are_found(content):
    original = content.questions["t-sqs-visibility"]
    reworded = replace(original, id="t-copy", prompt=original.prompt.replace("設定はどれですか", "設定はどれか"))
    same_choices = replace(content.questions["t-route53-failover"], id="t-other", prompt="まったく別の問題文です。")
    found = near_duplicates([*content.questions.values(), reworded, same_choices])
    pairs = {(d.first, d.second, d.what) for d in found}
    assert ("t-sqs-visibility", "t-copy", "prompt") in pairs
    assert ("t-route53-failover", "t-other", "choices") in pairs
    assert len(found) == 2


def test_report_command(capsys):
    assert main(["content", "report", str(FIXTURE_CONTENT)]) == 0
    assert "near-duplicate questions: none" in capsys.readouterr().out


def test_shipped_bank_has_no_near_duplicates():
    bank = load_content(PROJECT_ROOT / "content")
    assert near_duplicates(list(bank.questions.values())) == []


def test_every_shipped_source_is_declared_and_every_service_has_an_entry():
    bank = load_content(PROJECT_ROOT / "content")  # the loader refuses an undeclared source
    titles = {q.source.title for q in bank.questions.values()} | {
        s.title for e in bank.entries.values() for s in e.sources
    }
    assert "" not in titles and "DOP 学習ノート" in titles
    service_entries = {e.id for e in bank.entries.values() if e.kind == "service"}
    assert bank.services() <= service_entries


def test_the_raw_notes_can_be_checked_with_an_explicit_path(tmp_path):
    import pytest

    from bot.content import ContentError

    (tmp_path / "000_7dd489db3682b38b.txt").write_text("notes", encoding="utf-8")
    with pytest.raises(ContentError) as missing:
        load_content(PROJECT_ROOT / "content", tmp_path)
    assert "no file '002_770c15cb5c62f16c.txt'" in str(missing.value)
