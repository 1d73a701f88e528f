"""`studybot db backup` under constant writes, interrupted, and aimed at the live database: through the
real command, a real writer process and real SQLite files."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from bot.commands import parse_daily_set
from bot.models import AnswerStatus
from bot.storage import open_storage
from tests.conftest import ADMIN, actor, right_and_wrong
from tests.processes import STUDYBOT

# A second process writing one row per transaction as fast as it can, as a busy bot does: it prints
# how many rows it committed when it is stopped (SIGTERM).
WRITER = """
import signal, sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("PRAGMA synchronous=NORMAL")
done, stop = 0, []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
print("ready", flush=True)
while not stop:
    conn.execute("INSERT INTO users (platform, platform_id, name) VALUES ('writer', ?, 'w')", (str(done),))
    done += 1
    time.sleep(0.0005)
print(done, flush=True)
"""


async def make_database(path: Path, megabytes: int) -> None:
    """A studybot database (the real schema, in WAL mode) with `megabytes` of history in it."""
    storage = await open_storage(path)
    await storage.close()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE bulk (data BLOB)")
    conn.execute(
        "INSERT INTO bulk SELECT randomblob(4000) FROM"
        f" (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {megabytes * 256}) SELECT i FROM n)"
    )
    conn.commit()
    conn.close()


def writer_rows(path: Path) -> set[int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {int(r[0]) for r in conn.execute("SELECT platform_id FROM users WHERE platform = 'writer'")}
    finally:
        conn.close()


async def backup(db: Path, *args: str, within: float = 60) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(STUDYBOT),
        "db",
        "backup",
        *args,
        env={**os.environ, "STUDYBOT_DATABASE": str(db)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), within)
    return proc.returncode or 0, out.decode() + err.decode()


async def test_backup_finishes_under_hundreds_of_writes_a_second(tmp_path):
    db = tmp_path / "live" / "studybot.db"
    await make_database(db, 64)
    writer = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, str(db), stdout=asyncio.subprocess.PIPE)
    try:
        assert writer.stdout is not None
        assert (await asyncio.wait_for(writer.stdout.readline(), 10)).strip() == b"ready"
        for _ in range(200):
            if len(writer_rows(db)) >= 200:
                break
            await asyncio.sleep(0.05)
        before = writer_rows(db)  # committed before the backup starts: all must be in the copy
        started = time.monotonic()
        code, output = await backup(db, str(tmp_path / "copies" / "nightly.db"), within=60)
        took = time.monotonic() - started
        during = writer_rows(db) - before
    finally:
        writer.send_signal(signal.SIGTERM)
        written, _ = await asyncio.wait_for(writer.communicate(), 10)
    assert code == 0, output
    assert took < 30, f"the backup took {took:.1f} s"
    assert len(during) / took > 100, f"only {len(during) / took:.0f} writes/s during the backup"
    copy = sqlite3.connect(tmp_path / "copies" / "nightly.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copied = {int(r[0]) for r in copy.execute("SELECT platform_id FROM users WHERE platform = 'writer'")}
    assert before <= copied
    assert copy.execute("SELECT COUNT(*) FROM bulk").fetchone()[0] == 64 * 256
    copy.close()
    assert sorted(os.listdir(tmp_path / "copies")) == ["nightly.db"]  # nothing of its own left behind
    print(f"backup of 64 MiB under {len(during) / took:.0f} writes/s: {took:.2f} s; writer wrote {written.decode()}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_ctrl_c_during_a_backup_leaves_nothing_behind(tmp_path, sig):
    db = tmp_path / "studybot.db"
    await make_database(db, 300)
    out = tmp_path / "copies"
    out.mkdir()
    proc = await asyncio.create_subprocess_exec(
        str(STUDYBOT),
        "db",
        "backup",
        str(out / "nightly.db"),
        env={**os.environ, "STUDYBOT_DATABASE": str(db)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not any(name.endswith(f"partial-{proc.pid}") for name in os.listdir(out)):
        assert time.monotonic() < deadline and proc.returncode is None, "the copy never started"
        await asyncio.sleep(0.005)
    proc.send_signal(sig)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert os.listdir(out) == []
    assert sorted(os.listdir(tmp_path)) == ["copies", "studybot.db"]


@pytest.mark.parametrize("kind", ["itself", "dotted", "wal", "shm", "journal", "hard link", "symlink"])
async def test_backup_onto_the_live_database_is_refused_and_every_answer_kept(bot, clock, tmp_path, kind):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    for i in range(50):
        assert (await bot.answer(actor(f"u{i}"), post.id, right)).outcome.status == AnswerStatus.RECORDED
    db = Path(bot.storage.path)
    target = {
        "itself": db,
        "dotted": db.parent / "." / db.name,
        "wal": Path(f"{db}-wal"),
        "shm": Path(f"{db}-shm"),
        "journal": Path(f"{db}-journal"),
        "hard link": tmp_path / "other" / "link.db",
        "symlink": tmp_path / "other" / "sym.db",
    }[kind]
    target.parent.mkdir(exist_ok=True)
    if kind == "hard link":
        os.link(db, target)
    elif kind == "symlink":
        target.symlink_to(db)
    files = sorted(os.listdir(db.parent))
    code, output = await backup(db, str(target), "--force")  # not even --force writes onto the database
    assert code == 2, output
    assert "refusing to back up onto" in output and "Traceback" not in output
    assert sorted(os.listdir(db.parent)) == files  # no file of the backup's own (the bot checkpoints meanwhile)
    assert (await bot.storage.post_results(post.id)).answered == 50
    assert (await bot.answer(actor("late"), post.id, right)).outcome.status == AnswerStatus.RECORDED
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert check.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 51


async def test_an_existing_file_is_overwritten_only_when_it_is_a_backup_or_forced(tmp_path):
    db = tmp_path / "studybot.db"
    await make_database(db, 1)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes", encoding="utf-8")
    code, output = await backup(db, str(notes))
    assert code == 2 and "--force" in output
    assert notes.read_text(encoding="utf-8") == "my notes"
    assert (await backup(db, str(notes), "--force"))[0] == 0
    assert sqlite3.connect(notes).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    nightly = tmp_path / "nightly.db"
    assert (await backup(db, str(nightly)))[0] == 0
    assert (await backup(db, str(nightly)))[0] == 0  # last night's backup is ours to replace
    code, output = await backup(db, str(tmp_path))
    assert code == 2 and "folder" in output


async def test_another_live_database_is_never_overwritten(tmp_path):
    """A database a bot has run on (WAL mode) needs --force; one in use (its -wal/-shm beside it) is
    refused even with --force, since overwriting it under its bot corrupts it."""
    db = tmp_path / "studybot.db"
    await make_database(db, 1)
    other = tmp_path / "other" / "studybot.db"
    await make_database(other, 1)
    code, output = await backup(db, str(other))
    assert code == 2 and "--force" in output
    in_use = sqlite3.connect(other)  # another bot's connection: WAL mode keeps -wal and -shm beside it
    in_use.execute("INSERT INTO users (platform, platform_id) VALUES ('x', 'y')")
    in_use.commit()
    try:
        code, output = await backup(db, str(other), "--force")
        assert code == 2 and "in use" in output
    finally:
        in_use.close()
    assert (await backup(db, str(other), "--force"))[0] == 0


async def test_storage_backup_while_the_bot_answers(bot, clock, tmp_path):
    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))
    answering = asyncio.gather(*(bot.answer(actor(f"u{i}"), post.id, right) for i in range(300)))
    size = await asyncio.wait_for(bot.storage.backup(tmp_path / "copy.db"), 30)
    await answering
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert size > 0 and copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 1
