"""A database file that is garbage, truncated or not SQLite at all stops `studybot` at start with one
clear line that names the file and the way back (a backup), exit code 2, and no traceback."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_CONTENT
from tests.processes import STUDYBOT


def real_database(path: Path) -> None:
    """A studybot database with history in it, written by the real command and closed cleanly."""
    import subprocess

    env = {**os.environ, "STUDYBOT_DATABASE": str(path)}
    subprocess.run([str(STUDYBOT), "db", "migrate"], env=env, check=True, capture_output=True, timeout=30)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO users (platform, platform_id, name) SELECT 'test', 'u' || value, 'name' FROM "
        "(WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 20000) SELECT value FROM n)"
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def damage(path: Path, how: str) -> None:
    if how == "garbage":
        path.write_bytes(b"this is not a database, just some text an editor saved here\n" * 100)
    elif how == "truncated":
        real_database(path)
        with path.open("r+b") as f:
            f.truncate(os.path.getsize(path) // 2)
    elif how == "scribbled":
        real_database(path)
        with path.open("r+b") as f:  # a page in the middle overwritten, header intact
            f.seek(os.path.getsize(path) // 2)
            f.write(os.urandom(8192))


@pytest.mark.parametrize("how", ["garbage", "truncated", "scribbled"])
@pytest.mark.parametrize("command", [["run"], ["db", "migrate"]])
async def test_a_damaged_database_stops_the_start_with_one_clear_line(tmp_path, how, command):
    db = tmp_path / "studybot.db"
    await asyncio.to_thread(damage, db, how)
    before = db.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STUDYBOT_"))} | {
        "STUDYBOT_DATABASE": str(db),
        "STUDYBOT_CONTENT_DIR": str(FIXTURE_CONTENT),
    }
    proc = await asyncio.create_subprocess_exec(
        str(STUDYBOT),
        *command,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    text = err.decode()
    assert proc.returncode == 2, text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert str(db) in lines[0] and "studybot db backup" in lines[0] and "Traceback" not in text
    assert db.read_bytes() == before  # the damaged file is left as it was, for whoever looks into it
