"""`studybot content export` to Anki and CSV, and back through `studybot content import`: the whole shipped
bank makes the round trip unchanged, and the Anki card shows the prompt and choices on its front and the
answer with every choice's explanation on its back. Run as the real commands, in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import chevron
import pytest

from bot.content import Question, load_content
from bot.importing.pack_check import load_pack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STUDYBOT = Path(sys.executable).parent / "studybot"
FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"


def studybot(content_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STUDYBOT_CONTENT_DIR": str(content_dir)}
    return subprocess.run(
        [str(STUDYBOT), "content", *args], capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, env=env
    )


def copy_bank(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("packs", ".import"))
    return target


def same(a: Question, b: Question) -> dict[str, tuple[object, object]]:
    """What differs between two questions, ids and source files aside."""
    fields = ("lang", "exams", "services", "difficulty", "prompt", "choices", "answer", "explanation", "shuffle")
    diff = {f: (getattr(a, f), getattr(b, f)) for f in fields if getattr(a, f) != getattr(b, f)}
    if a.source.section != b.source.section:
        diff["section"] = (a.source.section, b.source.section)
    if a.choice_explanations != b.choice_explanations:
        diff["choice_explanations"] = (a.choice_explanations, b.choice_explanations)
    return diff


def test_the_shipped_bank_survives_export_and_import_through_anki_and_csv(tmp_path: Path) -> None:
    content = copy_bank(PROJECT_ROOT / "content", tmp_path / "content")
    deck, sheet = tmp_path / "bank.apkg", tmp_path / "bank.csv"
    done = studybot(content, "export", "--anki", str(deck), "--csv", str(sheet))
    assert done.returncode == 0, done.stderr
    core = load_content(content)
    assert f"{deck}: {len(core.questions)} question(s) as Anki notes" in done.stdout
    for pack, path in (("from-anki", deck), ("from-csv", sheet)):
        done = studybot(content, "import", str(path), "--pack", pack, "--licence", "MIT", "--source", "studybot")
        assert done.returncode == 0, done.stdout + done.stderr
        back = {q.prompt: q for q in load_pack(content / "packs" / pack, core).questions.values()}
        assert len(back) == len(core.questions)
        diffs = {q.id: same(q, back[q.prompt]) for q in core.questions.values() if same(q, back[q.prompt])}
        assert not diffs, f"{pack}: {len(diffs)} question(s) changed, e.g. {next(iter(diffs.items()))}"


def cards(deck: Path, tmp_path: Path) -> list[tuple[str, str]]:
    """Each note's front and back as Anki renders them (its templates are Mustache: {{#F}}…{{/F}})."""
    with zipfile.ZipFile(deck) as archive:
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    con = sqlite3.connect(tmp_path / "c.anki2")
    models = json.loads(con.execute("SELECT models FROM col").fetchone()[0])
    (model,) = models.values()
    names = [f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])]
    (template,) = model["tmpls"]
    rendered = []
    for (flds,) in con.execute("SELECT flds FROM notes ORDER BY id"):
        values = dict(zip(names, flds.split("\x1f"), strict=True))
        front = chevron.render(template["qfmt"], values)
        rendered.append((front, chevron.render(template["afmt"], {**values, "FrontSide": front})))
    con.close()
    return rendered


def test_the_anki_card_front_asks_and_the_back_explains_every_choice(tmp_path: Path) -> None:
    content = copy_bank(FIXTURE_CONTENT, tmp_path / "content")
    deck = tmp_path / "sample.apkg"
    assert studybot(content, "export", "--anki", str(deck)).returncode == 0
    questions = sorted(load_content(content).questions.values(), key=lambda q: q.id)
    rendered = cards(deck, tmp_path)
    assert len(rendered) == len(questions)
    for q, (front, back) in zip(questions, rendered, strict=True):
        assert q.prompt.split("\n")[0] in front
        assert all(c.text.split("\n")[0] in front for c in q.choices)
        assert q.explanation.split("\n")[0] not in front
        assert all(c.explanation.split("\n")[0] not in front for c in q.choices)
        letters = ", ".join(c.id.upper() for c in q.choices if c.id in q.answer)
        assert f'<div class="answer">{letters}</div>' in back
        assert q.explanation.split("\n")[0] in back
        assert all(c.explanation.split("\n")[0] in back for c in q.choices)


def test_a_pack_without_choice_explanations_exports_what_it_has_and_comes_back(tmp_path: Path) -> None:
    content = copy_bank(FIXTURE_CONTENT, tmp_path / "content")
    source = tmp_path / "team.csv"
    source.write_text(
        "prompt,choice_a,choice_b,choice_c,answer,explanation,exam,services\n"
        "SQS のメッセージを処理中に隠すのはどれですか。,可視性タイムアウト,遅延キュー,ロングポーリング,A,"
        "受信後の一定時間、ほかの受信者から隠します。,DVA-C02,sqs\n",
        encoding="utf-8",
    )
    args = ("--licence", "MIT", "--source", "tests")
    assert studybot(content, "import", str(source), "--pack", "team", *args).returncode == 0
    deck, sheet = tmp_path / "team.apkg", tmp_path / "team-export.csv"
    done = studybot(content, "export", "--pack", "team", "--anki", str(deck), "--csv", str(sheet))
    assert done.returncode == 0, done.stderr
    ((front, back),) = cards(deck, tmp_path)
    assert "可視性タイムアウト" in front and "受信後の一定時間" not in front
    assert "受信後の一定時間" in back and "<dt>" not in back  # no empty per-choice explanations shown
    core = load_content(content)
    (original,) = load_pack(content / "packs" / "team", core).questions.values()
    for pack, path in (("again-anki", deck), ("again-csv", sheet)):
        assert studybot(content, "import", str(path), "--pack", pack, *args).returncode == 0
        (back_again,) = load_pack(content / "packs" / pack, core).questions.values()
        assert not same(original, back_again) and not back_again.choice_explanations


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pack", "nope", "--csv", "{tmp}/x.csv"), "no pack 'nope'"),
        (("--csv", "{tmp}/missing/x.csv"), "no folder"),
        ((), "say what to write"),
    ],
)
def test_export_refusals_write_nothing(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    content = copy_bank(FIXTURE_CONTENT, tmp_path / "content")
    done = studybot(content, "export", *(a.format(tmp=tmp_path) for a in args))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not list(tmp_path.glob("*.csv"))
