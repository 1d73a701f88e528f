"""Where studybot keeps its state: one interface (interface.py) that the core uses, and a backend per
database. SQLite (sqlite/) is the embedded default."""

from __future__ import annotations

from pathlib import Path

from bot.storage.errors import STORAGE_FAILURES, StorageError
from bot.storage.interface import Storage
from bot.storage.postgres.store import PostgresStorage, is_postgres_url
from bot.storage.sqlite.schema import MIGRATIONS
from bot.storage.sqlite.store import MIN_FREE_BYTES, SqliteStorage

__all__ = [
    "MIGRATIONS",
    "STORAGE_FAILURES",
    "PostgresStorage",
    "SqliteStorage",
    "Storage",
    "StorageError",
    "is_postgres_url",
    "open_storage",
]


async def open_storage(
    database: str | Path, *, durability: str = "normal", min_free_bytes: int = MIN_FREE_BYTES, wait: float = 0.0
) -> Storage:
    """The backend for a database setting: a postgresql:// URL, else a SQLite file path (or :memory:).
    PostgreSQL keeps its durability in the server's settings (synchronous_commit) and has no disk floor;
    `wait`: seconds to keep trying a PostgreSQL server that cannot be reached yet."""
    if is_postgres_url(database):
        return await PostgresStorage.open(str(database), wait=wait)
    return await SqliteStorage.open(database, durability=durability, min_free_bytes=min_free_bytes)
