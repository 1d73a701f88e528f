"""Whether the database the bot writes to is still the file on disk, writable, undamaged and with room;
and copies of it that finish however busy the bot is. The SQL of both lives here, beside the rest of the SQLite backend.

`SELECT 1` answers from the connection's open file and page cache, so it kept reporting healthy after
the file was deleted (the bot went on acknowledging answers written into a file nobody could open
again; after a restart they were all gone), after it was replaced by another file, or when the disk
was full. These checks look at the file itself, on a connection of their own in a thread (never the
bot's writer), so a slow disk does not hold up the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from bot.storage.errors import BackupInterrupted, BackupRefused, DatabaseDamaged, DatabaseGone, StorageError

PROBE_EVERY = 1.0  # seconds: a flood of /healthz requests writes the probe row at most once a second
PROBE_TIMEOUT = 2.0  # seconds the probe may take (waiting for the writer's lock included)
# SQLite's result codes for a file that is not (or no longer) a sound database.
DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
# SQLite's own companions of a database file: writing a backup onto any of them destroys acknowledged data.
COMPANIONS = ("", "-wal", "-shm", "-journal")
PROGRESS_STEPS = 20_000  # SQLite virtual-machine steps between two looks at Ctrl-C and the clock (about 1 ms)
PROGRESS_EVERY = 1.0  # seconds between two progress reports: a backup under a second reports nothing


class FileIdentity(NamedTuple):
    device: int
    inode: int


def identity_of(path: str | Path) -> FileIdentity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return FileIdentity(st.st_dev, st.st_ino)


def moved_away(path: str | Path, opened: FileIdentity) -> str | None:
    """Why the file at `path` is not the one opened, or None while it is."""
    now = identity_of(path)
    if now is None:
        return "the database file was deleted after the bot opened it"
    if now != opened:
        return "the database file was replaced by another file after the bot opened it"
    return None


def check_same_file(path: str | Path, opened: FileIdentity) -> None:
    """Raise DatabaseGone when the path no longer leads to the opened file.

    Run after each batch is committed, so an answer committed into a deleted or replaced file is
    reported as not stored instead of acknowledged: one stat, about 2 us per batch.
    """
    problem = moved_away(path, opened)
    if problem is not None:
        raise DatabaseGone(f"{problem}; nothing written since is kept ({path}); restart the bot")


# -- at start


def damaged_message(path: str | Path, detail: object) -> str:
    return (
        f"cannot open database {path}: it is not a sound SQLite database ({detail}). Restore the last copy"
        f" made with `studybot db backup PATH`: stop the bot, copy the backup over {path}, delete {path}-wal"
        f" and {path}-shm, then start again"
    )


def check_integrity(path: str | Path) -> None:
    """Refuse a damaged or foreign file at start with a one-line DatabaseDamaged, instead of a traceback
    at the first query that reaches the damaged page. A quick check reads every page once: about 50 ms
    for 64 MB."""
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return  # created by the caller
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) in DAMAGED:
            raise DatabaseDamaged(damaged_message(path, exc)) from exc
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    finally:
        conn.close()
    if result != "ok":
        raise DatabaseDamaged(damaged_message(path, " ".join(str(result).split())[:200]))


# -- /healthz


class DatabaseHealth:
    """What /healthz says about the database file: each check by name, None when it passes, else why.

    The file's identity is a stat and is looked at on every request, so a deleted or replaced file
    shows at once; the write probe and the free-space check run at most every `probe_every` seconds
    and their results are reused in between.
    """

    def __init__(
        self, path: str | Path, opened: FileIdentity | None, min_free_bytes: int, probe_every: float = PROBE_EVERY
    ):
        self.path = Path(path)
        self.opened = opened
        self.min_free_bytes = min_free_bytes
        self.probe_every = probe_every
        self._probed_at = -float("inf")
        self._probed: dict[str, str | None] = {}
        self._probe: asyncio.Future[dict[str, str | None]] | None = None

    async def checks(self) -> dict[str, str | None]:
        if self.opened is None:  # an in-memory database has no file to lose
            return {}
        result: dict[str, str | None] = {"database_file": moved_away(self.path, self.opened)}
        if result["database_file"] is not None:
            return result | {"database_write": "not tried: not the opened file", "disk_space": None}
        if time.monotonic() - self._probed_at >= self.probe_every:
            if self._probe is None or self._probe.done():  # a hung probe is waited for, never doubled
                self._probe = asyncio.ensure_future(asyncio.to_thread(self._write_and_room))
            try:
                self._probed = await asyncio.wait_for(asyncio.shield(self._probe), PROBE_TIMEOUT)
                self._probed_at = time.monotonic()
            except TimeoutError:
                self._probed = {"database_write": f"no answer within {PROBE_TIMEOUT:.0f} s", "disk_space": None}
        return result | self._probed

    def _write_and_room(self) -> dict[str, str | None]:
        return {"database_write": self._write_probe(), "disk_space": self._no_room()}

    def _no_room(self) -> str | None:
        try:
            fs = os.statvfs(self.path.parent)
        except OSError as exc:
            return f"cannot read the free space: {exc.strerror}"
        free = fs.f_bavail * fs.f_frsize
        if free < self.min_free_bytes:
            return f"{free // 2**20} MiB free, below the floor of {self.min_free_bytes // 2**20} MiB"
        return None

    def _write_probe(self) -> str | None:
        """A real write: the file can be locked, written and committed (a scratch row, not a migration)."""
        try:
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=PROBE_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            return f"cannot open the database: {exc}"
        try:
            conn.execute("PRAGMA wal_autocheckpoint=0")  # copying the log is the bot's checkpointer's job
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL)")
            conn.execute(
                "INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                (time.time(),),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            return f"cannot write the database: {exc}"
        finally:
            conn.close()
        return None


# -- backups

Progress = Callable[[int, int], None]  # (bytes written so far, bytes in the database)


def backup_database(
    database: str | Path,
    target: str | Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Write a consistent copy of `database` to `target`; returns the size of the copy in bytes.

    SQLite's online backup API copies a few pages per step and starts over whenever another
    connection writes between two steps: at 100 clicks a second on a 64 MB database it restarted
    12,145 times in a minute and never finished. `VACUUM INTO` reads the whole database inside one
    read transaction on a connection of its own instead; in WAL mode the bot's writer neither waits
    for it nor disturbs it, so the copy is the database as it was when the backup began.

    The copy is written beside the target (same folder, so the rename is atomic), flushed, checked
    with `PRAGMA integrity_check` and only then renamed into place, so a failed or interrupted backup
    (`stop()` true: Ctrl-C, SIGTERM) leaves neither a half-written target nor any file of its own.
    """
    database, target = Path(database), Path(target)
    if str(database) == ":memory:" or not database.is_file():
        raise StorageError(f"no database file at {database}")
    refuse_target(database, target, force)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _vacuum_into(database, partial, progress, stop)
        _check_copy(partial)
        _fsync(partial)
        os.replace(partial, target)
        _fsync(target.parent)  # the rename itself survives a power cut
    except OSError as exc:
        raise StorageError(f"cannot write the backup {target}: {exc.strerror or exc}") from exc
    finally:
        _remove(partial)
    return target.stat().st_size


def refuse_target(database: Path, target: Path, force: bool) -> None:
    """Raise BackupRefused when writing `target` would destroy the database or a file not ours.

    Compared by resolved path (symlinks, `..`) and, for files that exist, by device and inode, so a
    hard link or a bind-mounted second path to the database is refused too. An existing target is
    overwritten only when it is a studybot database (an earlier backup), or with --force.
    """
    live = database.resolve()
    family = [live.with_name(live.name + suffix) for suffix in COMPANIONS]
    identities = {identity_of(p) for p in family} - {None}
    if target.resolve() in family or identity_of(target) in identities:
        raise BackupRefused(
            f"refusing to back up onto {target}: it is the live database {database} or one of its files;"
            " choose another path"
        )
    if target.is_dir():
        raise BackupRefused(f"refusing to back up onto {target}: it is a folder; name the file to write")
    if any(os.path.lexists(f"{target}{suffix}") for suffix in ("-wal", "-shm")):
        raise BackupRefused(
            f"refusing to back up onto {target}: it has -wal/-shm files, so a database there is in use"
            " (another bot's?); choose another path"
        )
    if target.exists() and not force and not _is_earlier_backup(target):
        raise BackupRefused(
            f"refusing to overwrite {target}: it exists and is not an earlier studybot backup;"
            " add --force to replace it, or choose another path"
        )


def _is_earlier_backup(path: Path) -> bool:
    """A copy this command wrote: studybot's tables, and not in WAL mode (VACUUM INTO writes a
    rollback-journal file; a database a bot has run on is in WAL mode)."""
    try:
        with path.open("rb") as f:
            header = f.read(20)
        if len(header) < 20 or header[18] == 2:  # file format version 2: WAL
            return False
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False
    return {"answers", "posts", "score_mark"} <= names


def _vacuum_into(database: Path, partial: Path, progress: Progress | None, stop: Callable[[], bool]) -> None:
    # mode=rw: never create an empty database where the live one was expected.
    source = sqlite3.connect(f"file:{database}?mode=rw", uri=True, timeout=30, isolation_level=None)
    try:
        page_size, pages = (source.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_size", "page_count"))
        total, last = page_size * pages, time.monotonic()

        def step() -> int:  # non-zero interrupts the VACUUM
            nonlocal last
            if stop():
                return 1
            if progress is not None and time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                with contextlib.suppress(OSError):
                    progress(min(partial.stat().st_size, total), total)
            return 0

        source.set_progress_handler(step, PROGRESS_STEPS)
        source.execute("VACUUM INTO ?", (str(partial),))
    except sqlite3.Error as exc:
        if stop():
            raise BackupInterrupted(f"backup of {database} interrupted; nothing was written") from exc
        raise StorageError(f"backup of {database} failed: {exc}") from exc
    finally:
        source.close()
    if stop():
        raise BackupInterrupted(f"backup of {database} interrupted; nothing was written")


def _check_copy(partial: Path) -> None:
    copy = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
    try:
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        result = str(exc)
    finally:
        copy.close()
    if result != "ok":
        raise StorageError(f"the backup copy failed its check ({result}); nothing was written")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(partial: Path) -> None:
    for suffix in COMPANIONS:
        with contextlib.suppress(OSError):
            partial.with_name(partial.name + suffix).unlink(missing_ok=True)
