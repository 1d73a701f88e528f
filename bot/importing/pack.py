"""Writing a pack so that it is never half written.

An import builds the whole new pack in a folder beside the old one (a copy of it, with the imported
files' YAML replaced), checks it with the content checker, and only then swaps the two folders: with
Linux's renameat2(RENAME_EXCHANGE) in one atomic step, elsewhere in two renames that the next import
undoes if the process died between them. Readers (the bot's loader) see the old pack or the new one,
never a mix. One import per pack at a time (a lock file beside it).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.content import SAFE_LOADER

PACKS_DIR = "packs"
# Staging folders and locks live beside packs/, never in it: no reader globbing packs/*/ sees a half-built
# pack. On the same file system, so the swap is a rename.
WORK_DIR = ".import"
PACK_FILE = "pack.yaml"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class PackBusy(Exception):
    """Another import into the same pack is running."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Never anchors (the content loader refuses them), multi-line text as readable | blocks; libyaml's
    emitter when PyYAML has it (several times faster on thousands of questions)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not any(c in value for c in "\t\r") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)


# The content loader refuses a file past 2 MB (bot/content.py MAX_FILE_BYTES): one imported file's
# entries are written in parts below that.
PART_BYTES = 1_500_000


def dump_parts(key: str, rows: list[dict[str, Any]]) -> list[str]:
    """`{key: rows}` as texts of at most PART_BYTES each (one row is never split). JSON, which is YAML
    in the bank's format: PyYAML took seconds per thousand questions each way, json milliseconds,
    and the content loader reads JSON with json (bot/content.py _parse)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, indent=1)
        weight = len(text.encode()) + 2
        if current and size + weight > PART_BYTES:
            parts.append(_json_part(key, current))
            current, size = [], 0
        current.append(text)
        size += weight
    if current:
        parts.append(_json_part(key, current))
    return parts


def _json_part(key: str, rows: list[str]) -> str:
    return "{" + json.dumps(key) + ": [\n" + ",\n".join(rows) + "\n]}\n"


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def packs_root(content_dir: Path) -> Path:
    return content_dir / PACKS_DIR


def read_meta(pack_dir: Path) -> dict[str, Any]:
    """The pack.yaml of an existing pack, {} when there is none (or it is unreadable: rewritten whole)."""
    try:
        data = read_yaml(pack_dir / PACK_FILE)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux 3.15+, glibc 2.28+); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


class Staging:
    """The new pack being built. `dir` starts as a copy of the current pack (or empty)."""

    def __init__(self, target: Path, folder: Path):
        self.target = target
        self.dir = folder

    def write(self, relative: str, data: Any) -> None:
        write_file(self.dir / relative, dump_yaml(data))

    def write_group(self, folder: str, slug: str, key: str, rows: list[dict[str, Any]]) -> None:
        """One imported file's rows as folder/slug.yaml, or slug.part-001.yaml ... when they are many,
        replacing whatever that file gave the pack before."""
        for old in self._group(self.dir, folder, slug):
            old.unlink()
        parts = dump_parts(key, rows)
        for index, text in enumerate(parts, 1):
            name = f"{slug}.yaml" if len(parts) == 1 else f"{slug}.part-{index:03}.yaml"
            write_file(self.dir / folder / name, text)

    def restore_group(self, folder: str, slug: str) -> None:
        """Put back what the current pack holds from one imported file (or nothing, if nothing)."""
        for staged in self._group(self.dir, folder, slug):
            staged.unlink()
        for before in self._group(self.target, folder, slug):
            (self.dir / folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(before, self.dir / folder / before.name)

    @staticmethod
    def _group(root: Path, folder: str, slug: str) -> list[Path]:
        where = root / folder
        return [*where.glob(f"{slug}.yaml"), *where.glob(f"{slug}.part-*.yaml")] if where.is_dir() else []

    def commit(self) -> None:
        """Make the staged folder the pack. Afterwards `dir` holds the old pack (or nothing)."""
        for sub in (self.dir, *(p for p in self.dir.iterdir() if p.is_dir())):
            _fsync_dir(sub)
        if not self.target.exists():
            os.rename(self.dir, self.target)
        elif not _exchange(self.dir, self.target):
            old = self.dir.with_name(f"{self.target.name}.old-{os.getpid()}")
            os.rename(self.target, old)  # a crash here: the next import puts `old` back (recover())
            os.rename(self.dir, self.target)
            os.rename(old, self.dir)
        _fsync_dir(self.target.parent)


def _recover(work: Path, target: Path) -> None:
    """Undo what an import that died left behind: the old pack put back if the swap was cut halfway,
    staging folders removed."""
    name = target.name
    olds = sorted(work.glob(f"{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if not target.exists() and olds:
        os.rename(olds.pop(), target)
    for leftover in [*olds, *work.glob(f"{name}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def locked(content_dir: Path, name: str, *, dry_run: bool = False) -> Iterator[None]:
    """Hold pack `name` for one import: one at a time, and what a dead import left undone first. A dry
    run takes no lock and repairs nothing: it never touches content/."""
    if dry_run:
        yield
        return
    root = packs_root(content_dir)
    root.mkdir(parents=True, exist_ok=True)
    work = content_dir / WORK_DIR
    work.mkdir(exist_ok=True)
    with (work / f"{name}.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PackBusy(f"another import into pack {name!r} is running; try again when it is done") from None
        _recover(work, root / name)
        yield


@contextlib.contextmanager
def stage(content_dir: Path, name: str, *, dry_run: bool = False) -> Iterator[Staging]:
    """A staging folder for pack `name` (call it holding locked()), removed on exit, committed or not.
    A dry run stages in the system's temporary folder."""
    target = packs_root(content_dir) / name
    if dry_run:
        with tempfile.TemporaryDirectory(prefix=f"studybot-{name}-") as tmp:
            folder = Path(tmp) / name
            if target.is_dir():
                shutil.copytree(target, folder)
            else:
                folder.mkdir()
            yield Staging(target, folder)
        return
    folder = Path(tempfile.mkdtemp(prefix=f"{name}.new-", dir=content_dir / WORK_DIR))
    try:
        folder.rmdir()
        if target.is_dir():
            shutil.copytree(target, folder)
        else:
            folder.mkdir()
        yield Staging(target, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
