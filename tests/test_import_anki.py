"""Anki packages imported into a pack through the real importer: the legacy collection (genanki) and the
current zstd-compressed anki21b one with its dummy legacy collection beside it, choice notes as questions,
front/back notes as lookup entries, what cannot be mapped reported by note id, and hostile packages (zip
and zstd bombs, misnamed files) refused quickly with the pack left as it was."""

from __future__ import annotations

import shutil
import sqlite3
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from bot.content import load_content
from bot.importing import ImportOptions, import_files
from bot.importing.apkg import MAX_COLLECTION_BYTES, extract_collection, parse_file
from bot.importing.pack_check import load_pack
from bot.importing.text import Refused
from tests.anki_packages import DUMMY_TEXT, Note, anki21b_package, choice_note, collection_18, legacy_apkg

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
META = {"licence": "CC BY 4.0", "source": "written for the tests"}
BUILDERS: dict[str, Callable[[Path, list[Note]], Path]] = {"legacy": legacy_apkg, "anki21b": anki21b_package}


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


def notes() -> list[Note]:
    return [
        choice_note(1),
        choice_note(2, answer="A, C", tags=["SAA-C03"]),
        Note(
            "basic",
            [
                "Amazon SQS の可視性タイムアウト",
                "<ul><li>受信中のメッセージを隠します。</li><li onclick='x()'>既定は 30 秒です。"
                "<script>alert(1)</script></li></ul><img src=x onerror=alert(2)>[sound:a.mp3]",
            ],
        ),
        Note("cloze", ["{{c1::Amazon S3}} はオブジェクトストレージです。", ""]),
        Note("choice", ["DynamoDB の問題", "a", "b", "", "", "E", "x"]),
        choice_note(1, guid="another-guid"),  # the same question again, under another guid
        Note("basic", ["SQS で順序を守るのは? A. FIFO キュー B. 標準キュー", "A"]),  # choices inside the text
    ]


def imported(content_dir: Path, package: Path, pack: str = "deck"):
    report = import_files(content_dir, [package], ImportOptions(pack=pack), meta=META)
    return report, load_pack(content_dir / "packs" / pack, load_content(content_dir))


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_choice_notes_become_questions_and_front_back_notes_lookup_entries(
    kind: str, content_dir: Path, tmp_path: Path
) -> None:
    package = BUILDERS[kind](tmp_path / f"{kind}.apkg", notes())
    report, pack = imported(content_dir, package)
    lines = "\n".join(report.lines())
    assert f"{kind}.apkg: 2 question(s) imported, 1 lookup entry imported, 4 not imported" in lines, lines
    problems = [p.reason for p in report.problems]
    assert any("a cloze note (cloze)" in r for r in problems), problems
    assert any("the answer names choice E, which is empty or missing" in r for r in problems), problems
    assert any(r.startswith("the same question as at note ") for r in problems), problems
    assert any(r.startswith("its back is only a letter") for r in problems), problems
    assert all(p.place.startswith("note 1") for p in report.problems)  # by note id
    by_answer = {tuple(sorted(q.answer)): q for q in pack.questions.values()}
    single, multi = by_answer[("b",)], by_answer[("a", "c")]
    assert single.prompt == "問題 1: Amazon DynamoDB のテーブルで強い整合性の読み込みを 1 回行います。"
    assert [c.text for c in single.choices] == ["1 RCU", "2 RCU", "3 RCU", "4 RCU"]
    assert single.exams == ("DOP-C02",)  # from the deck AWS::DOP-C02
    assert multi.exams == ("SAA-C03", "DOP-C02")  # the tag first, then the deck
    assert single.services == ("dynamodb",)  # recognised in the prompt
    (entry,) = pack.entries.values()
    assert entry.term == "Amazon SQS の可視性タイムアウト" and entry.service == "sqs"
    assert entry.summary == ("受信中のメッセージを隠します。", "既定は 30 秒です。")
    assert DUMMY_TEXT not in lines


def test_anki21b_is_read_not_its_dummy_legacy_collection(tmp_path: Path) -> None:
    package = anki21b_package(tmp_path / "new.apkg", [choice_note(7)])
    with zipfile.ZipFile(package) as archive:
        assert {"collection.anki2", "collection.anki21b", "meta"} <= set(archive.namelist())
    db = tmp_path / "out.sqlite"
    assert extract_collection(package, db) == "collection.anki21b"
    con = sqlite3.connect(db)
    # Anki's unicase collation: without it SQLite refuses queries on the names, which is why we register it
    with pytest.raises(sqlite3.OperationalError, match="no such collation sequence: unicase"):
        con.execute("SELECT name FROM notetypes ORDER BY name").fetchall()
    (fields,) = con.execute("SELECT flds FROM notes").fetchone()
    assert fields.split("\x1f")[1] == "7 RCU"
    con.close()


def test_colpkg_and_a_package_without_meta_read_the_newest_collection(content_dir: Path, tmp_path: Path) -> None:
    package = anki21b_package(tmp_path / "whole.colpkg", [choice_note(3)])
    bare = tmp_path / "nometa.apkg"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(bare, "w") as target:
        for name in ("collection.anki2", "collection.anki21b"):
            target.writestr(name, source.read(name))
    legacy2 = tmp_path / "legacy2.apkg"  # Anki 2.1's legacy export names its collection anki21
    with zipfile.ZipFile(legacy_apkg(tmp_path / "g.apkg", [choice_note(3)])) as source:
        with zipfile.ZipFile(legacy2, "w") as target:
            target.writestr("collection.anki21", source.read("collection.anki2"))
            target.writestr("collection.anki2", source.read("collection.anki2").replace(b"3 RCU", b"0 RCU"))
    for path in (package, bare, legacy2):
        report, pack = imported(content_dir, path, pack=path.stem)
        assert not report.problems, report.lines()
        assert [q.choices[0].text for q in pack.questions.values()] == ["3 RCU"]


def test_reimport_keys_on_the_guid_so_an_edited_note_updates_its_question(content_dir: Path, tmp_path: Path) -> None:
    first = choice_note(4, guid="stable-guid")
    _, before = imported(content_dir, anki21b_package(tmp_path / "deck.apkg", [first]))
    edited = choice_note(4, guid="stable-guid")
    edited.fields[0] = edited.fields[0].replace("4 回", "4 回（修正）")
    _, after = imported(content_dir, anki21b_package(tmp_path / "deck.apkg", [edited]))
    assert set(before.questions) == set(after.questions)
    (q,) = after.questions.values()
    assert "（修正）" in q.prompt


def test_unknown_field_names_are_read_as_front_and_back(content_dir: Path, tmp_path: Path) -> None:
    package = anki21b_package(
        tmp_path / "vocab.apkg",
        [Note("vocab", ["DynamoDB GSI", "別のキーで検索する索引です。", "extra"])],
        types={"vocab": ["Word", "Meaning", "Example"]},
    )
    report, pack = imported(content_dir, package)
    assert not report.problems, report.lines()
    (entry,) = pack.entries.values()
    assert entry.term == "DynamoDB GSI" and entry.summary == ("別のキーで検索する索引です。",)


def zstd_bomb(path: Path, size: int) -> Path:
    """An anki21b package whose few-kilobyte collection expands to `size` bytes of zeros."""
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    zero = bytes(1 << 20)
    data = b"".join(compressor.compress(zero) for _ in range(size >> 20)) + compressor.flush()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("collection.anki21b", data)
        archive.writestr("meta", b"\x08\x03")
    return path


def test_bombs_are_refused_quickly(tmp_path: Path) -> None:
    bomb = zstd_bomb(tmp_path / "bomb.apkg", MAX_COLLECTION_BYTES + (64 << 20))
    assert bomb.stat().st_size < 1_000_000
    started = time.monotonic()
    with pytest.raises(Refused, match="zip bomb"):
        extract_collection(bomb, tmp_path / "out.sqlite")
    assert time.monotonic() - started < 20
    assert (tmp_path / "out.sqlite").stat().st_size < 32_000_000  # stopped near the ratio cap, not at the end
    deflated = tmp_path / "deflated.apkg"
    with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("collection.anki2", "w") as f:
        for _ in range(40):
            f.write(bytes(1 << 20))
    with pytest.raises(Refused, match=r"compressed .* to 1: refused as a zip bomb"):
        extract_collection(deflated, tmp_path / "out2.sqlite")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("prompt,choice_a\n", encoding="utf-8"), "not an Anki package: text"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + bytes(100)), "not an Anki package: an SQLite database"),
        (lambda p: p.write_bytes(b"PK\x03\x04" + bytes(100)), "a broken ZIP archive"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("media", "{}"), "no Anki collection inside"),
        (lambda p: zipfile.ZipFile(p, "w").close(), "an empty ZIP archive"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("collection.anki2", b"not sqlite" * 100), "not an Anki collection"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("collection.anki21b", b"not zstd"), "not valid zstd data"),
        (lambda p: zipfile.ZipFile(p, "w").writestr("meta", b"\x08\x09"), "made by a newer Anki"),
    ],
)
def test_files_that_are_not_anki_packages_are_refused_and_change_nothing(
    make: Callable[[Path], object], message: str, content_dir: Path, tmp_path: Path
) -> None:
    good = anki21b_package(tmp_path / "good.apkg", [choice_note(5)])
    imported(content_dir, good)
    pack_dir = content_dir / "packs" / "deck"
    before = {p.name: p.read_bytes() for p in pack_dir.rglob("*.yaml")}
    bad = tmp_path / "good.apkg"  # the same file name: a refused file keeps what it gave before
    bad.unlink()
    make(bad)
    report = import_files(content_dir, [bad], ImportOptions(pack="deck"), meta=META)
    (problem,) = report.files[0].problems
    assert report.files[0].refused and message in str(problem), report.lines()
    assert str(problem).startswith("good.apkg: ")
    assert {p.name: p.read_bytes() for p in pack_dir.rglob("*.yaml")} == before


def test_a_collection_that_lies_about_its_note_types_is_reported_per_note(tmp_path: Path) -> None:
    db = collection_18(tmp_path / "c.anki21b", [choice_note(6), choice_note(8)], {"choice": ["Question"]})
    con = sqlite3.connect(db)
    con.execute("UPDATE notes SET mid = 42 WHERE id = (SELECT MAX(id) FROM notes)")
    con.commit()
    con.close()
    package = tmp_path / "lies.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(db.read_bytes()))
    result = parse_file(package, ImportOptions(pack="deck"))
    assert not result.questions and not result.lookups
    assert sorted(p.reason for p in result.problems) == [
        "it has a front but no back, and no choices",
        "its note type 42 is not in the collection",
    ]


def test_a_collection_whose_notes_are_an_endless_view_is_refused_unread(tmp_path: Path) -> None:
    db = tmp_path / "endless.anki21b"
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE col (id integer PRIMARY KEY, models text, decks text);"
        "INSERT INTO col VALUES (1, '{}', '{}');"
        "CREATE VIEW notes AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT i AS id, 'g' || i AS guid, 1 AS mid, '' AS tags, 'x' AS flds FROM n;"
    )
    con.close()
    package = tmp_path / "endless.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("collection.anki21b", zstandard.ZstdCompressor().compress(db.read_bytes()))
    started = time.monotonic()
    with pytest.raises(Refused, match="no notes table"):  # only real tables are read
        parse_file(package, ImportOptions(pack="deck"))
    assert time.monotonic() - started < 60
