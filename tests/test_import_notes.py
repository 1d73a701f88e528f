"""`studybot content import --notes FILE.md`: study notes of headings and bullets as lookup entries
(issue 16 point 8), on our own small notes file in the seeds' Markdown shape."""

from __future__ import annotations

from pathlib import Path

from bot.importing import ImportOptions, import_files
from bot.importing.notes import parse, term_and_aliases
from tests.import_support import FIXTURES, LICENCE, content_copy, pack_entries, studybot

OPTIONS = ImportOptions(pack="team")


def entries(path: Path) -> dict[str, dict]:
    return {e.data["term"]: e.data for e in parse(path, OPTIONS).lookups}


def test_headings_are_terms_bullets_their_summary_and_the_parent_related():
    found = parse(FIXTURES / "team-notes.md", OPTIONS)
    by_term = {e.data["term"]: e for e in found.lookups}
    assert list(by_term) == ["Amazon Simple Queue Service", "Dead Letter Queue", "AWS Key Management Service", "冪等性"]
    sqs = by_term["Amazon Simple Queue Service"]
    assert sqs.data["aliases"] == ["SQS"]  # from "(SQS)"; the initials are the same
    # a bullet that labels its sub-bullets is one summary line; the 参考 links are left out
    assert sqs.data["summary"] == [
        "概要: メッセージを一時的に保管し、送信側と受信側を切り離すサービスです。",
        "可視性タイムアウト: 受信したメッセージをほかの受信者から隠す時間です。",
    ]
    dlq = by_term["Dead Letter Queue"]  # a bullet naming a thing, with bullets of its own: a term
    assert dlq.place == "line 11" and dlq.data["aliases"] == ["DLQ"]
    assert dlq.data["related"] == [sqs.key] and sqs.data["related"] == [dlq.key]
    assert by_term["AWS Key Management Service"].data["aliases"] == ["KMS"]
    assert by_term["冪等性"].data == {
        "term": "冪等性",
        "aliases": [],
        "summary": ["同じ処理を何度実行しても結果が変わらない性質です。"],
        "related": [],
    }


def test_aliases_from_brackets_and_initials():
    assert term_and_aliases("Elastic Load Balancing (ELB)") == ("Elastic Load Balancing", ["ELB"])
    assert term_and_aliases("Amazon Elastic Compute Cloud (Amazon EC2)") == (
        "Amazon Elastic Compute Cloud",
        ["Amazon EC2", "ECC"],
    )
    assert term_and_aliases("CloudWatch Events（Amazon EventBridge）") == ("CloudWatch Events", ["Amazon EventBridge"])
    assert term_and_aliases("Resources（必須要素）") == ("Resources（必須要素）", [])
    assert term_and_aliases("AWS Systems Manager") == ("AWS Systems Manager", [])  # two words: no initials
    assert term_and_aliases("CloudWatch Logs Insights") == ("CloudWatch Logs Insights", [])  # not "CLI"


def test_the_cli_writes_entries_with_services_and_ids_that_survive_a_reimport(tmp_path):
    content = content_copy(tmp_path)
    notes = tmp_path / "team-notes.md"
    notes.write_text((FIXTURES / "team-notes.md").read_text(encoding="utf-8"), encoding="utf-8")
    done = studybot(content, "content", "import", "--notes", str(notes), "--pack", "team", *LICENCE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "team-notes.md: 4 lookup entries imported"
    first = pack_entries(content, "team")
    by_term = {e["term"]: e for e in first.values()}
    # the service comes from the bank's names, or the parent's; a term of no known service is a concept
    assert (by_term["Amazon Simple Queue Service"]["service"], by_term["Amazon Simple Queue Service"]["kind"]) == (
        "sqs",
        "feature",
    )
    assert by_term["Dead Letter Queue"]["service"] == "sqs"
    assert by_term["冪等性"]["kind"] == "concept"
    assert by_term["Dead Letter Queue"]["related"] == [by_term["Amazon Simple Queue Service"]["id"]]
    assert by_term["冪等性"]["sources"] == [{"seed": "team-notes.md", "section": "冪等性"}]
    notes.write_text(notes.read_text(encoding="utf-8").replace("性質です。", "性質のことです。"), encoding="utf-8")
    import_files(content, [], OPTIONS, notes=[notes])
    again = pack_entries(content, "team")
    assert set(again) == set(first)
    assert again[by_term["冪等性"]["id"]]["summary"] == ["同じ処理を何度実行しても結果が変わらない性質のことです。"]


def test_long_notes_are_bounded_and_said_so(tmp_path):
    path = tmp_path / "long.md"
    bullets = "\n".join(f"- 項目 {n} の説明です。" for n in range(12))
    path.write_text(
        f"前置き\n\n- 見出しの前\n\n# 長いメモ\n\n- 短い説明です。\n\n## Amazon SQS\n\n- {'長い' * 200}\n{bullets}\n",
        encoding="utf-8",
    )
    found = parse(path, OPTIONS)
    by_term = {e.data["term"]: e.data for e in found.lookups}
    summary = by_term["Amazon SQS"]["summary"]
    assert len(summary) == 8 and len(summary[0]) == 200 and summary[0].endswith("…")
    assert by_term["長いメモ"]["summary"] == ["短い説明です。"]
    assert found.notes == [
        "2 bullet(s) or paragraph(s) before the first heading left out",
        "6 bullet(s) shortened to 200 characters or 8 per term",
    ]


def test_a_file_without_headings_is_reported(tmp_path):
    path = tmp_path / "flat.md"
    path.write_text("- ただの箇条書き\n- もうひとつ\n", encoding="utf-8")
    found = parse(path, OPTIONS)
    assert found.lookups == []
    assert [p.reason for p in found.problems] == ["no headings with bullets found (# Term, then - bullets)"]


def test_the_same_heading_under_two_parents_is_two_entries(tmp_path):
    path = tmp_path / "twice.md"
    path.write_text(
        "# Amazon SQS\n\n## 料金\n\n- リクエスト数で課金されます。\n\n# Amazon DynamoDB\n\n## 料金\n\n- 読み書きの容量で課金されます。\n",
        encoding="utf-8",
    )
    found = parse(path, OPTIONS)
    assert [e.data["summary"] for e in found.lookups] == [
        ["リクエスト数で課金されます。"],
        ["読み書きの容量で課金されます。"],
    ]
    assert len({e.key for e in found.lookups}) == 2


def test_plain_text_notes_with_margin_headings_and_dot_bullets(tmp_path):
    """The other shape teams export notes in: headings at the margin without markers, "•" bullets
    indented two spaces per level, a blank line after every item, link-card leftovers."""
    path = tmp_path / "notes.txt"
    path.write_text(
        "DVA 対策\n\nApplication Integration\n\nAmazon SQS\n\n  • 概要\n\n    • キューでアプリを疎結合にします。\n\n"
        "  • Long Polling\n\n    • 空の応答を減らします。\n\ndocs.aws.amazon.com\n\nAWS Key Management Service\n\n"
        "  • 鍵を管理します。\n",
        encoding="utf-8",
    )
    found = parse(path, OPTIONS)
    assert found.notes == ["plain-text notes: lines at the margin read as headings, • lines as bullets"]
    by_term = {e.data["term"]: e for e in found.lookups}
    assert list(by_term) == ["Amazon SQS", "Long Polling", "AWS Key Management Service"]
    assert by_term["Amazon SQS"].data["summary"] == ["概要: キューでアプリを疎結合にします。"]
    assert by_term["Amazon SQS"].place == "line 5"
    assert by_term["Long Polling"].data["summary"] == ["空の応答を減らします。"]
    assert by_term["Long Polling"].data["related"] == [by_term["Amazon SQS"].key]
    assert by_term["AWS Key Management Service"].data == {
        "term": "AWS Key Management Service",
        "aliases": ["KMS"],
        "summary": ["鍵を管理します。"],
        "related": [],
    }
