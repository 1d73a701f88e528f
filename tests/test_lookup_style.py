"""Lookup entries follow the bank's house style (content/FORMAT.md): checked per rule, and the shipped
entries have no warning, because a summary is posted to chat exactly as written."""

from __future__ import annotations

from pathlib import Path

from bot.content import LookupEntry, load_content
from bot.content_style import load_glossary, lookup_style_warnings, style_warnings
from tests.test_content_cues import q

ROOT = Path(__file__).parent.parent
GLOSSARY = {"パラメータ": "パラメーター", "Kinesis Data Firehose": "Amazon Data Firehose"}


def entry(term: str = "S3 バケット", *summary: str) -> LookupEntry:
    return LookupEntry(
        id="x",
        term=term,
        kind="feature",
        service="s3",
        aliases=("S3バケット",),
        summary=summary or ("使えます。",),
        related=(),
        status="current",
        sources=(),
    )


def messages(e: LookupEntry) -> list[str]:
    return [p.message for p in lookup_style_warnings(e, GLOSSARY)]


def test_a_clean_entry_has_no_warning():
    assert (
        messages(entry("S3 バケット", "オブジェクトを置く入れ物です。名前は世界で一意です（リージョンをまたいで）。"))
        == []
    )


def test_each_rule_warns():
    assert any("space" in m for m in messages(entry("S3バケット")))
    assert any("bracket" in m for m in messages(entry("S3 バケット", "容量は無制限です(上限なし)。")))
    assert any("です/ます" in m for m in messages(entry("S3 バケット", "オブジェクトを置く入れ物。")))
    assert any("です/ます" in m for m in messages(entry("S3 バケット", "置けます。名前は一意")))
    assert any("glossary" in m for m in messages(entry("S3 バケット", "パラメータを渡します。")))
    assert any("line break" in m for m in messages(entry("S3 バケット", "置け\nます。")))


def test_the_preferred_spelling_and_a_former_name_are_no_variant():
    assert messages(entry("Amazon Data Firehose（旧 Amazon Kinesis Data Firehose）", "パラメーターを渡します。")) == []


def test_aliases_may_be_variants():
    assert messages(entry("S3 バケット", "使えます。")) == []  # its alias "S3バケット" is how learners type it


def test_the_shipped_lookup_entries_have_no_style_warning():
    bank = load_content(ROOT / "content")
    glossary = load_glossary(ROOT / "content")
    warnings = [str(p) for e in bank.entries.values() for p in lookup_style_warnings(e, glossary)]
    assert warnings == []


def test_the_question_checker_accepts_the_preferred_spelling_too():
    """ "パラメータ" is inside "パラメーター": writing the glossary's own spelling is no warning."""
    question = q("a", "Parameters セクション", "Outputs セクション", prompt="パラメーターを渡す方法はどれですか。")
    assert not [p for p in style_warnings(question, GLOSSARY) if "glossary" in p.message]
