"""The errors of the storage layer, in a module of their own so that the modules around storage (health,
backup) can raise them without importing the storage itself."""

from __future__ import annotations

import sqlite3

import asyncpg


class StorageError(Exception):
    """The database cannot be used (unreadable, read-only, full, damaged, or from a newer studybot)."""


class DatabaseGone(StorageError):
    """The file the bot opened is no longer at its path: whatever is written now is lost."""


class DatabaseDamaged(StorageError):
    """The file at the database path is not a sound SQLite database (garbage, truncated, corrupt)."""


class BackupRefused(StorageError):
    """The backup target is the live database, one of its files, or a file not ours: nothing was written."""


class BackupInterrupted(StorageError):
    """Ctrl-C or SIGTERM during a backup: the partial copy was removed, the target left as it was."""


# What a caller catches to say "could not be saved" instead of failing: SQLite's own errors (disk full,
# read-only), PostgreSQL's (the server refused, went away, or cannot be reached) and ours (the file
# deleted or replaced under the bot).
STORAGE_FAILURES = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError, StorageError)
