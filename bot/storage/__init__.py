"""Where studybot keeps its state: one interface (interface.py) that the core uses, and a backend per
database. SQLite (sqlite/) is the embedded default."""

from __future__ import annotations

from pathlib import Path

from bot.storage.errors import STORAGE_FAILURES, StorageError
from bot.storage.interface import Storage
from bot.storage.sqlite.schema import MIGRATIONS
from bot.storage.sqlite.store import MIN_FREE_BYTES, SqliteStorage

__all__ = ["MIGRATIONS", "STORAGE_FAILURES", "SqliteStorage", "Storage", "StorageError", "open_storage"]


async def open_storage(
    database: str | Path, *, durability: str = "normal", min_free_bytes: int = MIN_FREE_BYTES
) -> Storage:
    """The backend for a database setting: today a SQLite file path (or :memory:)."""
    return await SqliteStorage.open(database, durability=durability, min_free_bytes=min_free_bytes)
