"""Helpers for the import tests: a throwaway copy of the fixture bank and the real `studybot` command
run as a subprocess on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "importing"
FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
LICENCE = ["--licence", "CC-BY-4.0", "--source", "https://example.com/our-team/aws-notes"]


def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


def studybot(content_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`studybot ARGS` on content_dir, as an operator runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDYBOT_")}
    env["STUDYBOT_CONTENT_DIR"] = str(content_dir)
    env["STUDYBOT_DATABASE"] = str(content_dir.parent / "unused.db")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its bytes: two snapshots are equal when nothing changed."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def pack_questions(content_dir: Path, pack: str) -> dict[str, dict]:
    found = {}
    for path in sorted((content_dir / "packs" / pack / "questions").glob("*.yaml")):
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            found[q["id"]] = q
    return found


def pack_entries(content_dir: Path, pack: str) -> dict[str, dict]:
    found = {}
    for path in sorted((content_dir / "packs" / pack / "lookup").glob("*.yaml")):
        for e in yaml.safe_load(path.read_text(encoding="utf-8"))["entries"]:
            found[e["id"]] = e
    return found
