"""`studybot content import`: the per-file report, the pack it writes (checked by the content checker),
stable ids across re-imports, nothing half written, and bad input refused with its file and place."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from bot.content import ContentError, load_content
from bot.importing import ImportOptions, ImportRefused, import_files
from bot.importing.pack_check import load_pack
from tests.import_support import (
    FIXTURES,
    LICENCE,
    ROOT,
    content_copy,
    pack_entries,
    pack_questions,
    snapshot,
    studybot,
)

GOOD = ["dva-practice-ja.md", "saa-questions-en.md"]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return content_copy(tmp_path)


def copy_fixtures(tmp_path: Path, *names: str) -> list[Path]:
    folder = tmp_path / "incoming"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    return [folder / n for n in names]


def test_the_report_names_each_file_and_each_question_left_out(content, tmp_path):
    files = copy_fixtures(tmp_path, *GOOD, "broken-dva.md", "team-notes.md")
    done = studybot(
        content, "content", "import", *map(str, files[:3]), "--notes", str(files[3]), "--pack", "team", *LICENCE
    )
    assert done.returncode == 1, done.stderr  # something was left out; the rest is written
    out = done.stdout.splitlines()
    assert "dva-practice-ja.md: 4 question(s) imported" in out
    assert "saa-questions-en.md: 2 question(s) imported" in out
    assert "broken-dva.md: 1 question(s) imported, 4 not imported" in out
    assert "team-notes.md: 4 lookup entries imported" in out
    left_out = [line for line in out if line.startswith("  - broken-dva.md line ")]
    assert [line.split(":")[0] for line in left_out] == [
        "  - broken-dva.md line 16",
        "  - broken-dva.md line 32",
        "  - broken-dva.md line 36",
        "  - broken-dva.md line 47",
    ]
    assert "the same question as at line 5" in left_out[2]
    assert out[-1].startswith("pack 'team'") and "now holds 7 question(s) and 4 lookup entries" in out[-1]
    # the pack passes the content checker beside the bank, and says what it is
    pack = load_pack(content / "packs" / "team", load_content(content))
    assert len(pack.questions) == 7 and len(pack.entries) == 4
    meta = yaml.safe_load((content / "packs" / "team" / "pack.yaml").read_text(encoding="utf-8"))
    assert meta["licence"] == "CC-BY-4.0" and meta["source"] == "https://example.com/our-team/aws-notes"
    assert meta["imported"] is True and {s["id"] for s in meta["sources"]} >= {"dva-practice-ja.md", "team-notes.md"}
    # the shipped bank is untouched, and `content check` still passes on it
    assert snapshot(content / "questions") == snapshot(Path(__file__).parent / "fixtures" / "content" / "questions")
    assert studybot(content, "content", "check").returncode == 0


def test_questions_are_completed_for_the_bank(content, tmp_path):
    (ja,) = copy_fixtures(tmp_path, "dva-practice-ja.md")
    import_files(content, [ja], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "ours"})
    qs = list(pack_questions(content, "team").values())
    assert [q["services"] for q in qs] == [["sqs"], ["sqs"], ["dynamodb"], ["dynamodb"]]
    assert {q["lang"] for q in qs} == {"ja"} and {q["difficulty"] for q in qs} == {2}
    assert all(q["source"]["seed"] == "dva-practice-ja.md" for q in qs)
    # explained choices stay unmarked; the others are marked so the reveal shows what exists
    assert "choice_explanations" not in qs[0]
    assert qs[1]["choice_explanations"] is False


def test_reimport_updates_in_place_and_keeps_ids(content, tmp_path):
    (path,) = copy_fixtures(tmp_path, "dva-practice-ja.md")
    options = ImportOptions(pack="team")
    import_files(content, [path], options, meta={"licence": "MIT", "source": "ours"})
    before = pack_questions(content, "team")
    (other,) = copy_fixtures(tmp_path, "saa-questions-en.md")
    import_files(content, [other], options)  # another file: the first one's questions stay
    assert set(before) < set(pack_questions(content, "team"))
    # an explanation edited, and the file imported from another folder: same ids, new text, no duplicates
    moved = tmp_path / "elsewhere" / path.name
    moved.parent.mkdir()
    moved.write_text(path.read_text(encoding="utf-8").replace("true にします", "true に設定します"), encoding="utf-8")
    report = import_files(content, [moved], options)
    after = pack_questions(content, "team")
    assert report.questions_in_pack == 6 and len(after) == 6
    assert set(before) <= set(after)
    changed = [qid for qid in before if before[qid]["explanation"] != after[qid]["explanation"]]
    assert len(changed) == 1 and "true に設定します" in after[changed[0]]["explanation"]
    # a question whose text changes is another question: a new id
    moved.write_text(moved.read_text(encoding="utf-8").replace("強い整合性", "強い整合性（strongly consistent）"))
    import_files(content, [moved], options)
    assert len(set(pack_questions(content, "team")) - set(after)) == 1


def test_ids_do_not_depend_on_width_case_or_spacing(content, tmp_path):
    (path,) = copy_fixtures(tmp_path, "saa-questions-en.md")
    options = ImportOptions(pack="team")
    import_files(content, [path], options, meta={"licence": "MIT", "source": "ours"})
    before = set(pack_questions(content, "team"))
    path.write_text(path.read_text().replace("A company wants", "A  company   wants").replace("Which two", "WHICH TWO"))
    import_files(content, [path], options)
    assert set(pack_questions(content, "team")) == before


def test_dry_run_writes_nothing(content, tmp_path):
    files = copy_fixtures(tmp_path, *GOOD)
    done = studybot(content, "content", "import", *map(str, files), "--pack", "team", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would hold 6 question(s)" in done.stdout and "dry run, nothing written" in done.stdout
    assert not (content / "packs").exists() and not (content / ".import").exists()


def test_a_refused_import_leaves_the_pack_as_it_was(content, tmp_path):
    files = copy_fixtures(tmp_path, *GOOD)
    assert studybot(content, "content", "import", *map(str, files), "--pack", "team", *LICENCE).returncode == 0
    before = snapshot(content / "packs")
    # a pack that no longer passes the check (someone broke a file by hand) is not written over
    broken = content / "packs" / "team" / "lookup" / "hand-written.yaml"
    broken.parent.mkdir(exist_ok=True)
    broken.write_text("entries:\n  - id: Not An Id\n    term: x\n", encoding="utf-8")
    before = snapshot(content / "packs")
    files[0].write_text(files[0].read_text(encoding="utf-8").replace("true にします", "true に設定します"))
    done = studybot(content, "content", "import", str(files[0]), "--pack", "team")
    assert done.returncode == 2
    assert "would not pass the content check; nothing written" in done.stderr and "Not An Id" in done.stderr
    assert snapshot(content / "packs") == before
    # a file refused whole keeps what it gave the pack before
    broken.unlink()
    before = snapshot(content / "packs")
    files[0].write_bytes(b"PK\x03\x04" + os.urandom(64))
    done = studybot(content, "content", "import", str(files[0]), "--pack", "team")
    assert "dva-practice-ja.md: refused, nothing taken from it" in done.stdout
    assert "not text: this is a zip archive" in done.stdout
    assert snapshot(content / "packs") == before


def test_a_killed_import_leaves_the_old_pack_or_the_new_one(content, tmp_path):
    """SIGKILL at different moments of an import: the pack is always whole, old or new, and the next
    import cleans up what the dead one left."""
    (path,) = copy_fixtures(tmp_path, "dva-practice-ja.md")
    started = time.perf_counter()
    assert studybot(content, "content", "import", str(path), "--pack", "team", *LICENCE).returncode == 0
    whole = time.perf_counter() - started  # kills spread over how long one import takes on this machine now
    old = snapshot(content / "packs" / "team")
    path.write_text(path.read_text(encoding="utf-8").replace("true にします", "true に設定します"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env["STUDYBOT_CONTENT_DIR"] = str(content)
    outcomes = set()
    for share in (0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1):
        delay = whole * share
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "content", "import", str(path), "--pack", "team"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        now = snapshot(content / "packs" / "team")
        outcomes.add("new" if now != old else "old")
        if now != old:
            assert set(now) == set(old)  # the same files, one of them updated: the whole new pack
            break
    done = studybot(content, "content", "import", str(path), "--pack", "team")
    assert done.returncode == 0, done.stderr
    assert not list((content / ".import").glob("team.new-*")) and not list((content / ".import").glob("team.old-*"))
    assert "true に設定します" in yaml.safe_dump(pack_questions(content, "team"), allow_unicode=True)


def test_an_import_cut_between_two_renames_is_undone_by_the_next(content, tmp_path):
    """Where the atomic exchange is missing, the swap is two renames; a crash between them leaves the
    old pack under .import/, and the next import puts it back before anything else."""
    (path,) = copy_fixtures(tmp_path, "saa-questions-en.md")
    import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "ours"})
    old = snapshot(content / "packs" / "team")
    (content / ".import").mkdir(exist_ok=True)
    os.rename(content / "packs" / "team", content / ".import" / "team.old-12345")
    (content / ".import" / "team.new-abc").mkdir()
    report = import_files(content, [], ImportOptions(pack="team"), notes=[FIXTURES / "team-notes.md"])
    assert report.questions_in_pack == 2 and report.lookups_in_pack == 4
    now = snapshot(content / "packs" / "team")
    assert {k: v for k, v in now.items() if k.startswith("questions/")} == {
        k: v for k, v in old.items() if k.startswith("questions/")
    }
    assert list((content / ".import").iterdir()) == [content / ".import" / "team.lock"]


def test_refusals_name_what_to_do(content, tmp_path):
    files = copy_fixtures(tmp_path, *GOOD)
    done = studybot(content, "content", "import", str(files[0]), "--pack", "team")
    assert done.returncode == 2 and "a new pack needs --licence and --source" in done.stderr
    done = studybot(content, "content", "import", str(files[0]), "--pack", "core", *LICENCE)
    assert done.returncode == 2 and "'core' is the shipped bank" in done.stderr
    done = studybot(content, "content", "import", str(files[0]), "--pack", "Team Pack", *LICENCE)
    assert done.returncode == 2 and "pack name" in done.stderr
    done = studybot(content, "content", "import", str(files[0]), "--pack", "team", "--exam", "XYZ", *LICENCE)
    assert done.returncode == 2 and "unknown exam" in done.stderr
    other = tmp_path / "b" / files[0].name
    other.parent.mkdir()
    shutil.copy(files[0], other)
    done = studybot(content, "content", "import", str(files[0]), str(other), "--pack", "team", *LICENCE)
    assert done.returncode == 2 and "two files named dva-practice-ja.md" in done.stderr
    assert not (content / "packs" / "team").exists()


def test_exam_and_service_come_from_the_options_when_the_file_names_none(content, tmp_path):
    path = tmp_path / "practice.md"
    path.write_text(
        "### 問題 1\n冪等性とは何ですか。\n\nA. 何度実行しても同じ結果\nB. 一度しか実行できない\n\n解答: A\n\n解説: 冪等な処理は再実行できます。\n",
        encoding="utf-8",
    )
    options = ImportOptions(pack="team")
    meta = {"licence": "MIT", "source": "ours"}
    with pytest.raises(ImportRefused, match="nothing in these files could be imported") as refused:
        import_files(content, [path], options, meta=meta)
    assert refused.value.report is not None
    (problem,) = refused.value.report.problems
    assert problem.place == "" and "1 question(s) name no exam" in problem.reason and "give --exam" in problem.reason
    with pytest.raises(ImportRefused) as refused:
        import_files(content, [path], ImportOptions(pack="team", exam="DVA-C02"), meta=meta, dry_run=True)
    assert refused.value.report is not None
    assert [(p.place, p.reason) for p in refused.value.report.problems] == [
        ("line 1", "no AWS service named in its topic, prompt or answer; give --service TAG")
    ]
    report = import_files(content, [path], ImportOptions(pack="team", exam="DVA-C02", service="sqs"), meta=meta)
    assert report.problems == []
    (q,) = pack_questions(content, "team").values()
    assert q["exams"] == ["DVA-C02"] and q["services"] == ["sqs"]
    with pytest.raises(ImportRefused, match="no service entry"):
        import_files(content, [path], ImportOptions(pack="team", service="made-up"))


def test_a_question_the_checker_refuses_is_reported_with_its_line(content, tmp_path):
    path = tmp_path / "dva-long.md"
    long_choice = "とても長い選択肢" * 60
    path.write_text(
        f"### 問題 1\nSQS の質問ですか。\n\nA. {long_choice}\nB. 短い\n\n解答: B\n\n解説: 長すぎます。\n\n"
        "### 問題 2\nSQS の別の質問ですか。\n\nA. はい\nB. いいえ\n\n解答: A\n\n解説: 普通の問題です。\n",
        encoding="utf-8",
    )
    report = import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "ours"})
    (problem,) = report.problems
    assert problem.place == "line 1" and "choices.a.text" in problem.reason and "at most 300" in problem.reason
    assert report.questions_in_pack == 1


# -- bad input: each refused with its file and a reason, nothing in the bank changed


def test_a_file_that_is_not_what_its_extension_says(content, tmp_path):
    fake = tmp_path / "questions.md"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("collection.anki2", b"x")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"### \x00\x01\x02 not text")
    unknown = tmp_path / "deck.pdf"
    unknown.write_bytes(b"%PDF-1.4")
    (good,) = copy_fixtures(tmp_path, "saa-questions-en.md")
    report = import_files(
        content, [fake, binary, unknown, good], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"}
    )
    reasons = {p.file: p.reason for p in report.problems}
    assert reasons["questions.md"] == "not text: this is a zip archive (an .apkg or .docx?)"
    assert "NUL bytes" in reasons["binary.md"]
    assert reasons["deck.pdf"].startswith("no importer reads .pdf files (known: ")
    assert ".md" in reasons["deck.pdf"] and ".apkg" in reasons["deck.pdf"]
    assert report.questions_in_pack == 2  # the good file still went in


def test_a_100_mb_file_is_refused_unread(content, tmp_path):
    huge = tmp_path / "huge.md"
    with huge.open("wb") as f:
        f.truncate(100_000_000)  # sparse: no 100 MB written to the test machine's disk
    started = time.perf_counter()
    done = studybot(content, "content", "import", str(huge), "--pack", "team", *LICENCE)
    assert done.returncode == 2  # nothing to import: the pack would hold nothing
    assert "huge.md: refused" in done.stdout or "huge.md" in done.stderr
    assert "larger than 5 MB" in done.stdout + done.stderr
    assert time.perf_counter() - started < 60
    assert not (content / "packs" / "team").exists()


def test_shift_jis_is_detected(content, tmp_path):
    text = (FIXTURES / "dva-practice-ja.md").read_text(encoding="utf-8")
    path = tmp_path / "sjis-dva.md"
    path.write_bytes(text.replace("✅", "").encode("cp932"))
    report = import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"})
    (f,) = report.files
    assert f.notes == ["read as Shift_JIS"] and f.questions == 4
    assert "（2 つ選択）" in yaml.safe_dump(pack_questions(content, "team"), allow_unicode=True)


def test_bytes_that_are_neither_utf8_nor_shift_jis_are_refused(content, tmp_path):
    path = tmp_path / "latin1.md"
    raw = "### Question 1\nQuelle réponse est la bonne ? Ça dépend.\n".encode("latin-1")
    path.write_bytes(raw)
    report = import_files(
        content,
        [path, *copy_fixtures(tmp_path, "saa-questions-en.md")],
        ImportOptions(pack="team"),
        meta={"licence": "MIT", "source": "s"},
    )
    (problem,) = report.problems
    assert problem.file == "latin1.md" and problem.reason.startswith(
        f"not UTF-8 (invalid byte at offset {raw.index(0xE9)})"
    )
    assert "save it as UTF-8" in problem.reason


def test_duplicates_inside_one_file_are_reported_once_each(content, tmp_path):
    path = tmp_path / "dva-dup.md"
    one = "### 問題 {n}\nSQS の可視性タイムアウトの既定値はどれですか。\n\nA. 30 秒\nB. 12 時間\n\n解答: A\n\n解説: 既定値は 30 秒です。\n\n"
    path.write_text(
        one.format(n=1) + one.format(n=2) + one.format(n=3).replace("30 秒です", "30秒です"), encoding="utf-8"
    )
    report = import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"})
    assert [(p.place, p.reason) for p in report.problems] == [
        ("line 11", "the same question as at line 1; left out"),
        ("line 21", "the same question as at line 1; left out"),
    ]
    assert report.questions_in_pack == 1


def test_the_shipped_bank_refuses_unexplained_choices(tmp_path):
    content = content_copy(tmp_path)
    path = content / "questions" / "sample.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][0]["choice_explanations"] = False
    data["questions"][0]["choices"][1]["explanation"] = ""
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError, match="only imported packs may leave choices unexplained"):
        load_content(content)


def test_a_pack_question_keeps_every_other_check(content, tmp_path):
    (path,) = copy_fixtures(tmp_path, "saa-questions-en.md")
    import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"})
    pack_dir = content / "packs" / "team"
    (file,) = (pack_dir / "questions").glob("*.yaml")
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    data["questions"][0]["explanation"] = ""
    data["questions"][1]["choices"][0]["explanation"] = None
    data["questions"][1]["answer"] = ["a", "b", "c", "d"]
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_pack(pack_dir, load_content(content))
    fields = {(p.entry[-12:], p.field) for p in caught.value.problems}
    ids = [q["id"][-12:] for q in data["questions"]]
    assert (ids[0], "explanation") in fields
    assert (ids[1], "choices[0].explanation") in fields  # null is not text, even in a pack
    assert (ids[1], "answer") in fields


def test_entries_from_notes_that_clash_with_nothing_find_the_bank(content, tmp_path):
    """A pack's lookup entries may relate to the bank's; an unknown related id is still refused."""
    report = import_files(
        content,
        [],
        ImportOptions(pack="team"),
        notes=[FIXTURES / "team-notes.md"],
        meta={"licence": "MIT", "source": "s"},
    )
    assert report.lookups_in_pack == 4 and report.problems == []
    pack_dir = content / "packs" / "team"
    (file,) = (pack_dir / "lookup").glob("*.yaml")
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    data["entries"][0]["related"] = ["sqs", "nowhere"]
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_pack(pack_dir, load_content(content))
    assert [p.message for p in caught.value.problems] == ["no lookup entry with id 'nowhere'"]
    assert pack_entries(content, "team")


def test_a_large_file_is_written_in_parts_the_loader_accepts_and_reimport_replaces_them(content, tmp_path):
    """The content loader refuses files past 2 MB: a big import is split, and a smaller re-import of the
    same file leaves no stale part behind."""
    path = tmp_path / "dva-many.md"
    why = "理由をくわしく説明します。" * 70  # about 2.7 KB per question once encoded
    one = "### 問題 {n}\nDynamoDB の問題 {n} はどれですか。\n\nA. その一\nB. その二\n\n解答: A\n\n解説: {why}\n\n"
    path.write_text("".join(one.format(n=n, why=why) for n in range(700)), encoding="utf-8")
    options = ImportOptions(pack="team")
    report = import_files(content, [path], options, meta={"licence": "MIT", "source": "s"})
    assert report.questions_in_pack == 700 and report.problems == []
    files = sorted(p.name for p in (content / "packs" / "team" / "questions").iterdir())
    assert len(files) == 2 and all(".part-" in name for name in files)
    assert all(p.stat().st_size < 2_000_000 for p in (content / "packs" / "team" / "questions").iterdir())
    assert len(load_pack(content / "packs" / "team", load_content(content)).questions) == 700
    path.write_text("".join(one.format(n=n, why=why) for n in range(10)), encoding="utf-8")
    report = import_files(content, [path], options)
    assert report.questions_in_pack == 10
    assert [p.name for p in (content / "packs" / "team" / "questions").iterdir()] == [
        files[0].split(".part-")[0] + ".yaml"
    ]


def test_the_content_loader_reads_json_as_the_yaml_it_is(tmp_path):
    content = content_copy(tmp_path)
    path = content / "questions" / "sample.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_yaml = load_content(content).questions
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_content(content).questions == as_yaml
    # flow-style YAML that is not JSON still loads as YAML
    path.write_text(yaml.safe_dump(data, allow_unicode=True, default_flow_style=True, width=10_000), encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith("{") and load_content(content).questions == as_yaml


def test_invisible_characters_are_removed_from_imported_text(content, tmp_path):
    path = tmp_path / "dva-ctrl.md"
    path.write_text(
        "### 問題 1\nSQS\x07 の\ufeff質問\x85ですか。\n\nA. は\x1bい\nB. いいえ\n\n解答: A\n\n解説: 制御\x7f文字は消えます。\n",
        encoding="utf-8",
    )
    import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"})
    (q,) = pack_questions(content, "team").values()
    assert q["prompt"] == "SQS の質問ですか。" and q["choices"][0]["text"] == "はい"
    assert q["explanation"] == "制御文字は消えます。"


def test_two_imports_into_one_pack_do_not_run_at_once(content, tmp_path):
    (path,) = copy_fixtures(tmp_path, "saa-questions-en.md")
    (content / ".import").mkdir()
    with (content / ".import" / "team.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a running import holds it
        done = studybot(content, "content", "import", str(path), "--pack", "team", *LICENCE)
    assert done.returncode == 2 and "another import into pack 'team' is running" in done.stderr
    assert not (content / "packs" / "team").exists()
    done = studybot(content, "content", "import", str(path), "--pack", "team", "--title", "Our SAA set", *LICENCE)
    assert done.returncode == 0, done.stderr
    meta = yaml.safe_load((content / "packs" / "team" / "pack.yaml").read_text(encoding="utf-8"))
    assert meta["language"] == "en" and meta["title"] == "Our SAA set"
    assert meta["sources"] == [{"id": "saa-questions-en.md", "title": "Our SAA set"}]


def test_the_same_stem_with_other_choices_is_another_question(content, tmp_path):
    path = tmp_path / "dva-stems.md"
    one = "### 問題 {n}\nSQS について正しいものはどれですか。\n\nA. {a}\nB. {b}\n\n解答: A\n\n解説: {a}。\n\n"
    path.write_text(one.format(n=1, a="標準キュー", b="FIFO キュー") + one.format(n=2, a="長い保持", b="短い保持"))
    report = import_files(content, [path], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"})
    assert report.problems == [] and report.questions_in_pack == 2
