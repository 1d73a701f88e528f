"""Content validation: every shipped file validates, and every kind of mistake is reported by file,
entry id and field, all at once."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import PROJECT_ROOT
from bot.content import ContentError, load_content
from tests.conftest import FIXTURE_CONTENT

SHIPPED = PROJECT_ROOT / "content"


def test_shipped_content_validates():
    bank = load_content(SHIPPED)
    assert len(bank.questions) >= 40
    assert len(bank.entries) >= 40
    assert any(q.multi for q in bank.questions.values())
    exams = {e for q in bank.questions.values() for e in q.exams}
    assert {"DOP-C02", "DVA-C02", "SAA-C03"} <= exams


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*/*.yaml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_shipped_file_validates_on_its_own_terms(path: Path, tmp_path: Path):
    """One file at a time (with all lookups, which questions refer to), so a failure names the file."""
    target = tmp_path / "content"
    shutil.copytree(SHIPPED / "lookup", target / "lookup")
    shutil.copy(SHIPPED / "sources.yaml", target)
    (target / "questions").mkdir()
    if path.parent.name == "questions":
        shutil.copy(path, target / "questions" / path.name)
    else:
        shutil.copy(FIXTURE_CONTENT / "questions" / "sample.yaml", target / "questions")
    load_content(target)


def test_shipped_prompts_are_unique():
    bank = load_content(SHIPPED)
    prompts = [q.prompt for q in bank.questions.values()]
    assert len(prompts) == len(set(prompts))


GOOD = {
    "id": "q1",
    "lang": "ja",
    "exams": ["DVA-C02"],
    "services": ["sqs"],
    "difficulty": 1,
    "prompt": "問題文",
    "choices": [
        {"id": "a", "text": "正しい", "explanation": "正しい理由"},
        {"id": "b", "text": "誤り", "explanation": "誤りの理由"},
    ],
    "answer": ["a"],
    "explanation": "全体の解説",
    "source": {"seed": "003_3511edbbd2531384.txt", "section": "SQS"},
}


def dump(data: object) -> str:
    """YAML without anchors: the loader refuses them, and PyYAML writes one for every shared object."""
    return yaml.safe_dump(json.loads(json.dumps(data)), allow_unicode=True)


def write_bank(tmp_path: Path, questions: list[dict] | str) -> Path:
    root = tmp_path / "content"
    (root / "questions").mkdir(parents=True)
    shutil.copytree(FIXTURE_CONTENT / "lookup", root / "lookup")
    shutil.copy(FIXTURE_CONTENT / "sources.yaml", root)
    text = questions if isinstance(questions, str) else dump({"questions": questions})
    (root / "questions" / "bank.yaml").write_text(text, encoding="utf-8")
    return root


def problems(tmp_path: Path, questions) -> list[str]:
    with pytest.raises(ContentError) as err:
        load_content(write_bank(tmp_path, questions))
    return [str(p) for p in err.value.problems]


def with_(**changes):
    return {**GOOD, **changes}


def test_good_question_loads(tmp_path):
    bank = load_content(write_bank(tmp_path, [GOOD]))
    assert bank.questions["q1"].answer == {"a"}


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (with_(answer=["c"]), "q1: answer: correct answer 'c' is not among the choices"),
        (with_(explanation=" "), "q1: explanation: required text is missing or empty"),
        (
            with_(choices=[{"id": "a", "text": "x", "explanation": ""}, {"id": "b", "text": "y", "explanation": "z"}]),
            "q1: choices[0].explanation: every choice needs its own explanation",
        ),
        (with_(choices=[{"id": "a", "text": "x", "explanation": "z"}]), "q1: choices: needs 2 to 6 choices, has 1"),
        (with_(exams=["AWS-101"]), "q1: exams: unknown exam 'AWS-101'"),
        (with_(services=["nosuch"]), "q1: services: service tag 'nosuch' has no lookup entry"),
        (with_(difficulty=5), "q1: difficulty: must be 1, 2 or 3"),
        (
            with_(source={"seed": "999_0000000000000000.txt", "section": "x"}),
            "q1: source.seed: '999_0000000000000000.txt' is not a source declared",
        ),
        (with_(id="Bad Id"), "Bad Id: id: must match"),
        (with_(answer=["a", "b"]), "q1: answer: every choice is correct"),
    ],
)
def test_each_mistake_is_named(tmp_path, question, expected):
    found = problems(tmp_path, [question])
    assert any(expected in p for p in found), found
    assert all(p.startswith("content/questions/bank.yaml") for p in found)


def test_duplicate_ids_across_files(tmp_path):
    root = write_bank(tmp_path, [GOOD])
    (root / "questions" / "more.yaml").write_text(dump({"questions": [GOOD]}), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(root)
    assert any("duplicate question id (also in content/questions/bank.yaml)" in str(p) for p in err.value.problems)


def test_all_problems_of_a_broken_file_at_once(tmp_path):
    found = problems(tmp_path, [with_(answer=["z"]), with_(id="q2", prompt=""), with_(id="q3", difficulty=0)])
    assert len(found) == 3
    assert {p.split(": ")[1] for p in found} == {"q1", "q2", "q3"}


def test_malformed_yaml_names_the_line(tmp_path):
    text = textwrap.dedent(
        """\
        questions:
          - id: q1
            prompt: "unclosed
            answer: [a]
        """
    )
    found = problems(tmp_path, text)
    assert len(found) == 1 and "malformed YAML at line" in found[0]


def test_wrong_top_level_shape(tmp_path):
    found = problems(tmp_path, "- just a list\n")
    assert "the file must be a mapping with a list under 'questions:'" in found[0]


def test_lookup_related_must_exist(tmp_path):
    root = write_bank(tmp_path, [GOOD])
    entry = {
        "id": "x",
        "term": "X",
        "kind": "concept",
        "service": "sqs",
        "summary": ["s"],
        "related": ["nope"],
        "sources": [{"seed": "003_3511edbbd2531384.txt", "section": "SQS"}],
    }
    (root / "lookup" / "extra.yaml").write_text(dump({"entries": [entry]}), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_content(root)
    assert any("x: related: no lookup entry with id 'nope'" in str(p) for p in err.value.problems)


def test_cli_check_reports_and_exits(tmp_path, capsys):
    assert main(["content", "check", str(FIXTURE_CONTENT)]) == 0
    assert "ok: 4 questions (1 multi-select), 7 lookup entries" in capsys.readouterr().out
    broken = write_bank(tmp_path, [with_(answer=["c"])])
    assert main(["content", "check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "correct answer 'c' is not among the choices" in err and "Traceback" not in err
