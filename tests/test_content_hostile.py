"""Content loading under hostile or broken files: whatever an author, an editor or an attacker leaves in
the content folder ends as listed ContentError problems, quickly, with bounded messages; the watcher
keeps watching and the next good edit is loaded."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.cli import watch_content
from bot.config import PROJECT_ROOT
from bot.content import MAX_FILE_BYTES, ContentError, load_content
from tests.conftest import FIXTURE_CONTENT
from tests.processes import STUDYBOT

ODD_VALUES = [None, [], {}, 0, -1, 3.5, True, "", " ", [[1]], [{"a": 1}], {"a": [1]}, ["a", ["b"]], "x" * 5000]
BOMB = """questions:
  - id: q-bomb
    services: &a0 [lambda, lambda, lambda, lambda, lambda, lambda, lambda, lambda, lambda, lambda]
    exams: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
    prompt: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
    explanation: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
    answer: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
    choices: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
    source: [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
"""


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


def _questions(content_dir: Path) -> Path:
    return content_dir / "questions" / "sample.yaml"


def _rewrite_first_question(content_dir: Path, key: str, value: object) -> None:
    path = _questions(content_dir)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["questions"][0][key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _problems(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(content_dir)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    "key", ["id", "lang", "exams", "services", "difficulty", "prompt", "choices", "answer", "explanation", "source"]
)
def test_any_odd_value_in_any_question_field_is_a_content_problem(content_dir, key):
    for value in ODD_VALUES:
        _rewrite_first_question(content_dir, key, value)
        try:
            load_content(content_dir)
        except ContentError as exc:
            assert all(len(str(p)) < 400 for p in exc.problems), f"{key}={value!r:.40}: unbounded message"
        # else: the value happened to be acceptable (a bool shuffle, say); either way no other exception


@pytest.mark.parametrize("key", ["term", "kind", "service", "aliases", "summary", "related", "status", "sources"])
def test_any_odd_value_in_any_lookup_field_is_a_content_problem(content_dir, key):
    path = content_dir / "lookup" / "sample.yaml"
    original = yaml.safe_load(path.read_text(encoding="utf-8"))
    for value in ODD_VALUES:
        data = yaml.safe_load(yaml.safe_dump(original))
        data["entries"][0][key] = value
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        try:
            load_content(content_dir)
        except ContentError:
            pass


def test_a_nested_answer_is_named_as_the_answer_field(content_dir):
    _rewrite_first_question(content_dir, "answer", [["a"]])
    problems = _problems(content_dir)
    assert any("t-sqs-visibility: answer: must be a list of choice ids" in p for p in problems), problems


def test_a_folder_named_like_a_file_is_a_problem_and_a_dangling_lock_file_is_ignored(content_dir):
    (content_dir / "questions" / ".#sample.yaml").symlink_to(content_dir / "nowhere" / "lock")
    assert load_content(content_dir).questions  # the editor's lock file is not content
    (content_dir / "questions" / "x.yaml").mkdir()
    assert any("questions/x.yaml: not a regular file" in p for p in _problems(content_dir))


def test_a_fifo_named_like_a_file_is_refused_without_blocking(content_dir):
    os.mkfifo(content_dir / "questions" / "pipe.yaml")  # opening it for reading would wait forever
    assert any("questions/pipe.yaml: not a regular file" in p for p in _problems(content_dir))


def test_an_alias_bomb_is_refused_before_it_expands(content_dir):
    (content_dir / "questions" / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    problems = _problems(content_dir)
    assert time.perf_counter() - started < 1.0
    assert any("bomb.yaml: YAML anchors and aliases are not allowed (line 3)" in p for p in problems), problems
    assert sum(len(p) for p in problems) < 2_000


def test_a_file_past_the_size_limit_is_refused_unread(content_dir):
    big = content_dir / "questions" / "big.yaml"
    big.write_text("questions:\n" + "#" * (MAX_FILE_BYTES + 10) + "\n", encoding="utf-8")
    assert any("big.yaml: larger than" in p for p in _problems(content_dir))


def test_a_huge_value_is_quoted_as_an_excerpt(content_dir):
    _rewrite_first_question(content_dir, "exams", ["X" * 100_000])
    problems = _problems(content_dir)
    assert any("unknown exam 'XXXX" in p for p in problems)
    assert max(len(p) for p in problems) < 300


def test_content_check_on_billion_laughs_ends_at_once_with_a_clear_error(content_dir):
    (content_dir / "questions" / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run(
        [str(STUDYBOT), "content", "check", str(content_dir)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=PROJECT_ROOT,
    )
    assert time.perf_counter() - started < 15
    assert done.returncode == 1
    assert "YAML anchors and aliases are not allowed" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr) < 2_000


async def test_the_watcher_outlives_junk_files_and_loads_the_next_good_edit(bot, settings, content_dir):
    bot.settings = replace(settings, content_dir=content_dir)
    watcher = asyncio.create_task(watch_content(bot, interval=0.02))
    try:
        await asyncio.sleep(0.05)
        questions = content_dir / "questions"
        (questions / ".#sample.yaml").symlink_to(content_dir / "gone")
        (questions / "folder.yaml").mkdir()
        (questions / "bomb.yaml").write_text(BOMB, encoding="utf-8")
        await asyncio.sleep(0.2)
        assert not watcher.done()
        shutil.rmtree(questions / "folder.yaml")
        (questions / "bomb.yaml").unlink()
        sample = _questions(content_dir)
        sample.write_text(sample.read_text(encoding="utf-8").replace("t-cfn-retain", "t-cfn-kept"), "utf-8")
        for _ in range(250):
            if "t-cfn-kept" in bot.content.questions:
                break
            await asyncio.sleep(0.02)
        assert "t-cfn-kept" in bot.content.questions
        assert not watcher.done()
    finally:
        watcher.cancel()
