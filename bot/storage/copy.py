"""`studybot db copy SOURCE TARGET`: move a whole deployment between SQLite and PostgreSQL (either way).

Both databases are first brought to the current schema (which also folds every SQLite answer into its
leaderboard totals), then every table is copied row by row with its ids, in one transaction on the
target: a failure leaves the target as empty as it was. A target that already holds data is refused,
and the row counts of both sides are compared before the copy is committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from bot.storage import is_postgres_url, open_storage
from bot.storage.errors import StorageError
from bot.storage.sqlite import marks

# In the order their references need: a row is copied after the rows it points at.
TABLES = (
    "communities",
    "users",
    "channels",
    "schedules",
    "posts",
    "answers",
    "streaks",
    "scores",
    "review_cards",
    "review_logs",
    "reminders",
    "community_packs",
    "recap_channels",
    "recaps",
)
WITH_IDS = ("communities", "users", "channels", "posts", "answers")  # their next id must follow the copied ones
CHUNK = 5000  # rows read and written at a time: a million answers never sit in memory at once


class CopyRefused(StorageError):
    """The copy was not started (a target with data, the same database twice, no source): nothing written."""


class _Sqlite:
    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)

    async def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    async def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    async def chunks(self, table: str, columns: list[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        cursor = self.conn.execute(f"SELECT {', '.join(columns)} FROM {table}")
        while rows := cursor.fetchmany(CHUNK):
            yield rows

    async def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    async def write(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    async def finish(self) -> None:
        # The totals, cards and logs were copied whole: every answer is already in them.
        marks.move_to_last(self.conn, "score_mark")
        marks.move_to_last(self.conn, "review_mark")

    async def commit(self) -> None:
        self.conn.execute("COMMIT")

    async def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    async def close(self) -> None:
        self.conn.close()


class _Postgres:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn
        self.tx: Any = None

    async def columns(self, table: str) -> list[str]:
        rows = await self.conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = $1 ORDER BY ordinal_position",
            table,
        )
        return [r[0] for r in rows]

    async def count(self, table: str) -> int:
        return await self.conn.fetchval(f"SELECT COUNT(*) FROM {table}")

    async def chunks(self, table: str, columns: list[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        async with self.conn.transaction(readonly=True):
            cursor = await self.conn.cursor(f"SELECT {', '.join(columns)} FROM {table}")
            while rows := await cursor.fetch(CHUNK):
                yield [tuple(r) for r in rows]

    async def begin(self) -> None:
        self.tx = self.conn.transaction()
        await self.tx.start()

    async def write(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        await self.conn.copy_records_to_table(table, records=rows, columns=columns)

    async def finish(self) -> None:
        for table in WITH_IDS:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
                f" FROM {table}"
            )

    async def commit(self) -> None:
        tx, self.tx = self.tx, None
        await tx.commit()

    async def rollback(self) -> None:
        tx, self.tx = self.tx, None
        if tx is not None:
            await tx.rollback()

    async def close(self) -> None:
        await self.conn.close()


async def _side(database: str) -> _Sqlite | _Postgres:
    """The database migrated to the current schema (and closed again), then opened for the copy."""
    storage = await open_storage(database)
    await storage.close()  # SQLite folds every answer into the totals and the reviews as it closes
    if is_postgres_url(database):
        return _Postgres(await asyncpg.connect(database))
    return _Sqlite(database)


async def copy_database(source: str, target: str, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; the rows per table."""
    if source == target:
        raise CopyRefused("the source and the target are the same database")
    src = await _side(source)
    try:
        dst = await _side(target)
        try:
            return await _copy(src, dst, progress)
        finally:
            await dst.close()
    finally:
        await src.close()


async def _copy(src: _Sqlite | _Postgres, dst: _Sqlite | _Postgres, progress: Callable[[str, int], None] | None):
    held = {table: n for table in TABLES if (n := await dst.count(table))}
    if held:
        what = ", ".join(f"{n} {table}" for table, n in held.items())
        raise CopyRefused(f"the target already holds data ({what}): db copy only fills an empty database")
    counts = {table: await src.count(table) for table in TABLES}
    await dst.begin()
    try:
        for table in TABLES:
            wanted = set(await dst.columns(table))
            columns = [c for c in await src.columns(table) if c in wanted]
            async for rows in src.chunks(table, columns):
                await dst.write(table, columns, rows)
            if progress is not None:
                progress(table, counts[table])
        await dst.finish()
        copied = {table: await dst.count(table) for table in TABLES}
        if copied != counts:
            wrong = ", ".join(f"{t}: {counts[t]} read, {copied[t]} written" for t in TABLES if copied[t] != counts[t])
            raise StorageError(f"the copy does not match its source ({wrong}); nothing was kept")
        await dst.commit()
    except BaseException:
        await dst.rollback()
        raise
    return counts
