"""Where studybot keeps its state: one interface (interface.py) that the core uses, and a backend per
database. SQLite (sqlite/) is the embedded default."""

from bot.storage.errors import STORAGE_FAILURES, StorageError
from bot.storage.sqlite.schema import MIGRATIONS
from bot.storage.sqlite.store import SqliteStorage

Storage = SqliteStorage  # the default backend, as the core and the tests open it

__all__ = ["MIGRATIONS", "STORAGE_FAILURES", "SqliteStorage", "Storage", "StorageError"]
