"""Anki packages (.apkg decks, .colpkg whole collections): a ZIP holding an SQLite collection.

Three generations of the collection are read:
- `collection.anki2` / `collection.anki21` (schema 11): note types as JSON in `col.models`;
- `collection.anki21b` (Anki 2.1.50+, schema 18): zstd-compressed, note types in the `notetypes` and
  `fields` tables. Such packages also hold a dummy `collection.anki2` whose only note asks the user to
  update Anki; the real collection is the anki21b one (the `meta` member says which is real).

A note's fields are its `flds` column split on \\x1f, named by its note type. Fields naming choices make a
question (bot/importing/fields.py: "Choice A", "Q_1", "選択肢A", with "Answer" and "Explanation"); a plain
two-field note (Front/Back) becomes a lookup entry; anything else (a cloze, an empty note) is reported by
its note id. The note's guid is its key, so importing the deck again updates the same questions.

A package is untrusted input: the ZIP and the zstd stream are read with caps on size and ratio (a zip bomb
stops at the cap, unread past it), the database is opened read-only with its schema untrusted, and every
query has a time limit. Media are never read.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path
from typing import IO, Any

import zstandard

from .collect import Collector
from .fields import Record, parse_exams, role
from .html_text import field_text
from .records import ImportOptions, ParseResult
from .registry import register
from .text import MAGIC, Refused

# A collection of 5,000 notes is about 10 MB; a real deck of 100,000 notes stays well under this.
MAX_COLLECTION_BYTES = 256_000_000
# SQLite pages of text compress 3-20 times; a stream that expands more than this (past 16 MB) is a bomb.
MAX_RATIO = 200
RATIO_FROM_BYTES = 16_000_000
QUERY_SECONDS = 60
# More notes than any real deck: past this a collection (a view that never ends, say) is refused.
MAX_NOTES = 200_000
_CHUNK = 1 << 20
_LEGACY = ("collection.anki21", "collection.anki2")
_LATEST = "collection.anki21b"
_META_VERSIONS = {1: "collection.anki2", 2: "collection.anki21", 3: _LATEST}
_CLOZE = re.compile(r"\{\{c\d+::")


def parse_file(path: Path, options: ImportOptions) -> ParseResult:
    out = Collector(path)
    with tempfile.TemporaryDirectory(prefix="studybot-apkg-") as tmp:
        db = Path(tmp) / "collection.sqlite"
        member = extract_collection(path, db)
        read_collection(db, out, member)
    return out.result


def extract_collection(path: Path, dest: Path) -> str:
    """Write the package's real collection (decompressed) to dest; return its member name."""
    if not path.is_file():
        raise Refused("not a regular file")
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(b"PK\x05\x06"):
        raise Refused("an empty ZIP archive: no Anki collection inside")
    if not head.startswith(b"PK\x03\x04"):
        what = next((name for magic, name in MAGIC if head.startswith(magic)), None)
        if what is None:
            what = "text" if head and all(32 <= b < 127 or b in b"\t\r\n" for b in head) else "not a ZIP archive"
        raise Refused(f"not an Anki package: {what}, where an .apkg/.colpkg is a ZIP archive")
    try:
        with zipfile.ZipFile(path) as archive:
            member = _real_collection(archive)
            info = archive.getinfo(member)
            if info.flag_bits & 0x1:
                raise Refused(f"{member} is encrypted")
            _check_declared(info)
            with archive.open(info) as raw, dest.open("wb") as target:
                if member == _LATEST:
                    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
                    _copy_capped(reader, target, member, info.file_size)
                else:
                    _copy_capped(raw, target, member, info.compress_size)
    except zipfile.BadZipFile as exc:
        raise Refused(f"a broken ZIP archive ({exc})") from None
    except zstandard.ZstdError as exc:
        raise Refused(f"{_LATEST} is not valid zstd data ({exc})") from None
    except (NotImplementedError, RuntimeError) as exc:  # unsupported compression, encryption
        raise Refused(f"cannot be unpacked ({exc})") from None
    return member


def _real_collection(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    version = _meta_version(archive) if "meta" in names else None
    wanted = _META_VERSIONS.get(version) if version is not None else None
    if version is not None and wanted is None:
        raise Refused(f"made by a newer Anki (package version {version}); export it with 'Support older Anki versions'")
    if wanted is not None:
        if wanted not in names:
            raise Refused(f"its meta names {wanted}, which it does not hold")
        return wanted
    for name in (_LATEST, *_LEGACY):  # no meta: the newest collection present is the real one
        if name in names:
            return name
    raise Refused("no Anki collection inside (collection.anki21b, collection.anki21 or collection.anki2)")


def _meta_version(archive: zipfile.ZipFile) -> int | None:
    """The `meta` member is a protobuf message whose field 1 (a varint) is the package version."""
    info = archive.getinfo("meta")
    if info.file_size > 1024:
        raise Refused("its meta member is too large to be Anki's")
    data = archive.read(info)
    if not data.startswith(b"\x08"):
        return None
    value, shift = 0, 0
    for byte in data[1:6]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value
    return None


def _check_declared(info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_COLLECTION_BYTES:
        raise Refused(
            f"{info.filename} would unpack to {info.file_size / 1_000_000:,.0f} MB (at most {MAX_COLLECTION_BYTES // 1_000_000} MB)"
        )
    if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise Refused(
            f"{info.filename} is compressed {info.file_size // max(info.compress_size, 1):,} to 1: refused as a zip bomb"
        )


def _copy_capped(source: IO[bytes], target: IO[bytes], member: str, compressed: int) -> None:
    """Copy with the caps enforced as bytes arrive: declared sizes can lie, and zstd declares none."""
    total = 0
    while chunk := source.read(_CHUNK):
        total += len(chunk)
        if total > MAX_COLLECTION_BYTES:
            raise Refused(f"{member} unpacks to more than {MAX_COLLECTION_BYTES // 1_000_000} MB; refused")
        if total > RATIO_FROM_BYTES and total > MAX_RATIO * max(compressed, 1):
            raise Refused(f"{member} expands more than {MAX_RATIO} to 1: refused as a zip bomb")
        target.write(chunk)


def _unicase(a: str, b: str) -> int:
    """Anki's `unicase` collation (case-insensitive, Unicode): names of note types, fields and decks use it,
    so SQLite refuses any query sorting or comparing them until it is registered."""
    x, y = a.casefold(), b.casefold()
    return (x > y) - (x < y)


def _connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    con.create_collation("unicase", _unicase)
    con.execute("PRAGMA trusted_schema = OFF")  # no functions from the file's own views or triggers
    deadline = time.monotonic() + QUERY_SECONDS

    def too_long() -> int:
        return 1 if time.monotonic() > deadline else 0

    con.set_progress_handler(too_long, 100_000)
    return con


def read_collection(db: Path, out: Collector, member: str) -> None:
    try:
        con = _connect(db)
        try:
            _read(con, out, member)
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise Refused(f"{member} took longer than {QUERY_SECONDS} s to read; refused") from None
        raise Refused(f"{member} is not an Anki collection ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise Refused(f"{member} is not an Anki collection ({exc})") from None


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _read(con: sqlite3.Connection, out: Collector, member: str) -> None:
    tables = _tables(con)
    if not {"notes", "col"} <= tables:
        raise Refused(f"{member} has no notes table: not an Anki collection")
    types = _note_types_v18(con) if "notetypes" in tables else _note_types_legacy(con)
    decks = _decks_v18(con) if "decks" in tables and "notetypes" in tables else _decks_legacy(con)
    deck_of = dict(con.execute("SELECT nid, MIN(did) FROM cards GROUP BY nid")) if "cards" in tables else {}
    count = 0
    for nid, guid, mid, tags, flds in con.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"):
        count += 1
        if count > MAX_NOTES:
            raise Refused(f"{member} holds more than {MAX_NOTES:,} notes; split the deck")
        place = f"note {nid}"
        note_type = types.get(mid)
        if note_type is None:
            out.problem(place, f"its note type {mid} is not in the collection")
            continue
        name, field_names = note_type
        values = str(flds).split("\x1f")
        if any(_CLOZE.search(v) for v in values):
            out.problem(place, f"a cloze note ({name}): no choices and no front/back to take")
            continue
        deck = decks.get(deck_of.get(nid), "")
        out.add(_record(field_names, values, str(tags), deck), place, str(guid))
    if count == 0:
        out.note("the collection holds no notes")


def _record(names: list[str], values: list[str], tags: str, deck: str) -> Record:
    record = Record(tags=[*tags.split(), *deck.split("::")])
    texts = [field_text(v, True) for v in values]
    places = [role(n) for n in names]
    if any(p and p[0] in ("prompt", "front", "choice") for p in places):
        for place, text in zip(places, texts, strict=False):
            if place is not None:
                record.put(place, text)
    elif len(texts) >= 2:  # Basic and its kin: first field the front, second the back, whatever their names
        record.put(("front", ""), texts[0])
        record.put(("back", ""), texts[1])
    leaf = deck.split("::")[-1].strip()  # the deck is the topic, unless it only names the exam
    if leaf and leaf.casefold() != "default" and not parse_exams(leaf, only_known=True):
        record.values.setdefault("section", leaf)
    return record


def _note_types_legacy(con: sqlite3.Connection) -> dict[int, tuple[str, list[str]]]:
    row = con.execute("SELECT models FROM col LIMIT 1").fetchone()
    models = _json(row[0] if row else "{}", "col.models")
    types = {}
    for key, model in models.items():
        if not isinstance(model, dict):
            continue
        flds = sorted((f for f in model.get("flds", []) if isinstance(f, dict)), key=lambda f: f.get("ord", 0))
        try:
            types[int(model.get("id", key))] = (str(model.get("name", "")), [str(f.get("name", "")) for f in flds])
        except (TypeError, ValueError):
            continue
    return types


def _note_types_v18(con: sqlite3.Connection) -> dict[int, tuple[str, list[str]]]:
    names = dict(con.execute("SELECT id, name FROM notetypes ORDER BY name"))  # sorts with unicase
    fields: dict[int, list[str]] = {ntid: [] for ntid in names}
    for ntid, name in con.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(name)
    return {ntid: (str(names.get(ntid, "")), field_names) for ntid, field_names in fields.items()}


def _decks_legacy(con: sqlite3.Connection) -> dict[int, str]:
    row = con.execute("SELECT decks FROM col LIMIT 1").fetchone()
    decks = _json(row[0] if row else "{}", "col.decks")
    found = {}
    for key, deck in decks.items():
        if isinstance(deck, dict):
            try:
                found[int(deck.get("id", key))] = str(deck.get("name", ""))
            except (TypeError, ValueError):
                continue
    return found


def _decks_v18(con: sqlite3.Connection) -> dict[int, str]:
    """Schema 18 keeps a deck's path with \\x1f between its parts; shown with Anki's ::."""
    return {did: str(name).replace("\x1f", "::") for did, name in con.execute("SELECT id, name FROM decks")}


def _json(text: Any, where: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise Refused(f"{where} is not valid JSON: not an Anki collection") from None
    return value if isinstance(value, dict) else {}


register("anki", (".apkg", ".colpkg"), parse_file)
