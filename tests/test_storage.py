"""The database: migrations, WAL mode and its checkpoints, and refusing what it cannot safely use."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from bot.storage import MIGRATIONS, StorageError, open_storage
from bot.storage.postgres.schema import MIGRATIONS as PG_MIGRATIONS


@pytest.mark.sqlite_only
async def test_new_database_is_migrated_and_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "new.db"
    storage = await open_storage(path)
    await storage.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"communities", "channels", "users", "schedules", "posts", "answers", "streaks", "scores"} <= tables


async def test_reopening_keeps_data_and_does_not_migrate_twice(database):
    path = database
    storage = await open_storage(path)
    community = await storage.community("discord", "123", "guild", "ja", "Asia/Tokyo")
    await storage.close()
    storage = await open_storage(path)
    again = await storage.community("discord", "123", "", "en", "UTC")  # existing: settings kept
    await storage.close()
    assert again == community


async def test_platform_ids_never_mix(database):
    storage = await open_storage(database)
    discord = await storage.community("discord", "42", "", "ja", "Asia/Tokyo")
    slack = await storage.community("slack", "42", "", "ja", "Asia/Tokyo")
    user_d = await storage.user("discord", "7", "a")
    user_s = await storage.user("slack", "7", "a")
    await storage.close()
    assert discord.id != slack.id and user_d.id != user_s.id


async def test_a_newer_schema_is_refused(database, backend):
    if backend == "sqlite":
        conn = sqlite3.connect(database)
        conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
        conn.close()
    else:
        await (await open_storage(database)).close()
        conn = await asyncpg.connect(database)
        await conn.execute("UPDATE schema_version SET version = $1", len(PG_MIGRATIONS) + 1)
        await conn.close()
    with pytest.raises(StorageError, match="newer than this studybot knows"):
        await open_storage(database)


async def test_processes_migrating_at_once_apply_each_migration_once(postgres_url):
    """Two bot processes starting together on a new PostgreSQL database: one migrates, the other waits."""
    opened = await asyncio.wait_for(asyncio.gather(*(open_storage(postgres_url) for _ in range(4))), 30)
    for storage in opened:
        await storage.close()
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetch("SELECT version FROM schema_version") == [(len(PG_MIGRATIONS),)]
    finally:
        await conn.close()


async def test_an_unreachable_server_or_a_wrong_url_is_one_clear_error(postgres_server):
    from tests.postgres_server import free_port

    with pytest.raises(StorageError, match=r"cannot open database postgresql://postgres:\*\*\*@127.0.0.1:\d+/x"):
        await open_storage(f"postgresql://postgres:secret@127.0.0.1:{free_port()}/x")
    with pytest.raises(StorageError, match='database "no_such_db" does not exist'):
        await open_storage(postgres_server.url("no_such_db"))


@pytest.mark.sqlite_only
async def test_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="cannot open database"):
        await open_storage(path)


def test_db_migrate_command(database, backend, monkeypatch, capsys):
    monkeypatch.setenv("STUDYBOT_DATABASE", str(database))
    assert main(["db", "migrate"]) == 0
    version = len(MIGRATIONS) if backend == "sqlite" else len(PG_MIGRATIONS)
    assert f"schema version {version}" in capsys.readouterr().out
    assert backend != "sqlite" or Path(database).exists()


def test_db_backup_of_a_postgresql_database_points_at_pg_dump(postgres_url, monkeypatch, capsys):
    monkeypatch.setenv("STUDYBOT_DATABASE", postgres_url)
    assert main(["db", "backup", "out.dump"]) == 2
    assert "pg_dump" in capsys.readouterr().err
    assert not Path("out.dump").exists()


async def test_the_postgresql_backend_refuses_backup_with_the_pg_dump_hint(postgres_url, tmp_path):
    from bot.storage.errors import BackupRefused

    storage = await open_storage(postgres_url)
    try:
        with pytest.raises(BackupRefused, match="pg_dump"):
            await storage.backup(tmp_path / "b.db")
        assert await storage.health_checks() == {"database_connection": None, "database_write": None}
    finally:
        await storage.close()


def test_db_backup_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDYBOT_DATABASE", str(tmp_path / "live.db"))
    assert main(["db", "backup", str(tmp_path / "b.db")]) == 1  # nothing to back up yet
    assert "no database" in capsys.readouterr().err
    assert main(["db", "migrate"]) == 0
    assert main(["db", "backup", str(tmp_path / "out" / "b.db")]) == 0
    assert "backed up to" in capsys.readouterr().out
    conn = sqlite3.connect(tmp_path / "out" / "b.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


@pytest.mark.sqlite_only
async def test_the_log_is_copied_into_the_database_file_and_starts_over(bot, clock, tmp_path):
    """Without checkpoints the write-ahead log grows for as long as the bot runs (1 KB per answer)."""
    from bot.commands import parse_daily_set
    from bot.storage.sqlite.checkpoint import IDLE_CHECKPOINT_BATCHES
    from tests.conftest import ADMIN, actor, right_and_wrong

    schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00"]))
    post = (await bot.post_daily(schedule)).post
    right, _ = right_and_wrong(bot.question_of(post))

    async def answer_one_by_one(users: range) -> None:
        for i in users:
            await bot.answer(actor(f"u{i}"), post.id, right)  # two batches: the new user, the answer
            await bot.storage.settle()  # an idle moment, when the checkpoint is due

    await answer_one_by_one(range(100))
    assert _answers_in_the_file_alone(Path(bot.storage.path), tmp_path / "alone.db") >= 90
    await answer_one_by_one(range(100, 400))
    # The log started over at the last idle moment: it holds at most the few batches since (a batch
    # of one answer writes under 20 pages), not the 600 batches written since the first check.
    assert _frames_in_the_log(Path(bot.storage.path)) <= 20 * IDLE_CHECKPOINT_BATCHES


def _answers_in_the_file_alone(database: Path, copy: Path) -> int:
    copy.write_bytes(database.read_bytes())  # without its -wal file
    return sqlite3.connect(copy).execute("SELECT COUNT(*) FROM answers").fetchone()[0]


def _frames_in_the_log(database: Path) -> int:
    """Frames written to the log since it last started over (a checkpoint reports them)."""
    busy, frames, _ = sqlite3.connect(database).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert not busy
    return frames


@pytest.mark.parametrize(("durability", "pragma"), [(None, 1), ("normal", 1), ("full", 2)])
async def test_durability_sets_how_often_sqlite_syncs(tmp_path, durability, pragma):
    """STUDYBOT_DURABILITY=full makes every commit fsync its log (PRAGMA synchronous=FULL, 2), so an
    acknowledged answer survives a power cut; normal (1) survives a killed process only."""
    from bot.config import load_settings
    from bot.core import StudyBot
    from tests.conftest import FIXTURE_CONTENT

    env = {"STUDYBOT_DATABASE": str(tmp_path / "d.db"), "STUDYBOT_CONTENT_DIR": str(FIXTURE_CONTENT)}
    if durability:
        env["STUDYBOT_DURABILITY"] = durability
    bot = await StudyBot.create(load_settings(env=env))
    try:
        assert (await bot.storage._db.execute("PRAGMA synchronous"))[0][0] == pragma
    finally:
        await bot.close()


def test_an_unknown_durability_is_refused():
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"durability \(set by STUDYBOT_DURABILITY\) must be one of normal, full"):
        load_settings(env={"STUDYBOT_DURABILITY": "fsync-always"})


@pytest.mark.parametrize("backend_class", ["SqliteStorage", "PostgresStorage"])
def test_each_backend_provides_the_whole_interface_with_the_same_signatures(backend_class):
    import inspect

    import bot.storage
    from bot.storage.interface import Storage as Interface

    backend = getattr(bot.storage, backend_class)

    wanted = {n: f for n, f in vars(Interface).items() if inspect.iscoroutinefunction(f)}
    assert len(wanted) >= 40
    for name, declared in wanted.items():
        provided = getattr(backend, name, None)
        assert provided is not None and inspect.iscoroutinefunction(provided), name
        assert list(inspect.signature(provided).parameters) == list(inspect.signature(declared).parameters), name
    public = {n for n, f in vars(backend).items() if inspect.iscoroutinefunction(f) and not n.startswith("_")}
    assert public - set(wanted) == set()  # whatever the core can call is in the interface
