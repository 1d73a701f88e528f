"""Anki packages built for the tests and the bench, in the three generations the importer reads.

- legacy (collection.anki2, schema 11): written by genanki, as community deck builders do;
- current (collection.anki21b, schema 18): built here with sqlite3 + zstandard the way Anki 2.1.50+
  exports: zstd-compressed collection, a `meta` member saying version 3, and a dummy collection.anki2
  whose one note asks the user to update Anki (an importer reading it instead gets that note only).

Names of note types, fields and decks use Anki's `unicase` collation; building the tables needs it too.
"""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import genanki
import zstandard

DUMMY_TEXT = "This deck needs a newer Anki: update it and import the file again."

# A choice note type in the shape of popular multiple-choice Anki decks.
CHOICE_FIELDS = ["Question", "Choice A", "Choice B", "Choice C", "Choice D", "Answer", "Explanation"]
BASIC_FIELDS = ["Front", "Back"]
CLOZE_FIELDS = ["Text", "Back Extra"]


@dataclass
class Note:
    type: str  # a key of the package's note types
    fields: list[str]
    tags: list[str] = field(default_factory=list)
    guid: str = ""
    deck: str = "AWS::DOP-C02"


def _unicase(a: str, b: str) -> int:
    x, y = a.casefold(), b.casefold()
    return (x > y) - (x < y)


def _guid(note: Note) -> str:
    return note.guid or genanki.guid_for(*note.fields)


def legacy_apkg(path: Path, notes: list[Note], types: dict[str, list[str]] | None = None) -> Path:
    """A genanki package (collection.anki2) with the given notes; note types by field list."""
    types = types or {"choice": CHOICE_FIELDS, "basic": BASIC_FIELDS, "cloze": CLOZE_FIELDS}
    models = {}
    for index, (name, fields) in enumerate(types.items()):
        kind = genanki.Model.CLOZE if name == "cloze" else genanki.Model.FRONT_BACK
        qfmt = "{{cloze:Text}}" if kind == genanki.Model.CLOZE else "{{" + fields[0] + "}}"
        models[name] = genanki.Model(
            1_600_000_000 + index,
            name,
            fields=[{"name": f} for f in fields],
            templates=[{"name": "Card 1", "qfmt": qfmt, "afmt": qfmt + "<hr id=answer>{{" + fields[1] + "}}"}],
            model_type=kind,
        )
    decks: dict[str, genanki.Deck] = {}
    for note in notes:
        if note.deck not in decks:
            decks[note.deck] = genanki.Deck(_deck_id(note.deck), note.deck)
        decks[note.deck].add_note(
            genanki.Note(model=models[note.type], fields=note.fields, tags=note.tags, guid=_guid(note))
        )
    genanki.Package(list(decks.values())).write_to_file(str(path), timestamp=1_700_000_000)
    return path


def _deck_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:6], "big") + 2


SCHEMA_18 = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL, scm integer NOT NULL,
  ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL, ls integer NOT NULL, conf text NOT NULL,
  models text NOT NULL, decks text NOT NULL, dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL, mod integer NOT NULL,
  usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL, sfld integer NOT NULL, csum integer NOT NULL,
  flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL, ord integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL, queue integer NOT NULL, due integer NOT NULL,
  ivl integer NOT NULL, factor integer NOT NULL, reps integer NOT NULL, lapses integer NOT NULL,
  left integer NOT NULL, odue integer NOT NULL, odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE revlog (id integer PRIMARY KEY, cid integer NOT NULL, usn integer NOT NULL, ease integer NOT NULL,
  ivl integer NOT NULL, lastIvl integer NOT NULL, factor integer NOT NULL, time integer NOT NULL,
  type integer NOT NULL);
CREATE TABLE graves (oid integer NOT NULL, type integer NOT NULL, usn integer NOT NULL,
  PRIMARY KEY (oid, type)) WITHOUT ROWID;
CREATE TABLE deck_config (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
CREATE TABLE config (KEY text NOT NULL PRIMARY KEY, usn integer NOT NULL, mtime_secs integer NOT NULL,
  val blob NOT NULL) WITHOUT ROWID;
CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL COLLATE unicase,
  config blob NOT NULL, PRIMARY KEY (ntid, ord)) WITHOUT ROWID;
CREATE UNIQUE INDEX idx_fields_name_ntid ON fields (name, ntid);
CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL, PRIMARY KEY (ntid, ord)) WITHOUT ROWID;
CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL, kind blob NOT NULL);
CREATE UNIQUE INDEX idx_decks_name ON decks (name);
CREATE TABLE tags (tag text NOT NULL PRIMARY KEY COLLATE unicase, usn integer NOT NULL,
  collapsed boolean NOT NULL, config blob NULL) WITHOUT ROWID;
"""


def collection_18(path: Path, notes: list[Note], types: dict[str, list[str]]) -> Path:
    """An Anki schema-18 collection (uncompressed SQLite) holding the notes."""
    con = sqlite3.connect(path)
    con.create_collation("unicase", _unicase)
    con.executescript(SCHEMA_18)
    con.execute("INSERT INTO col VALUES (1, 0, 0, 0, 18, 0, 0, 0, '', '', '', '', '')")
    type_ids = {}
    for index, (name, fields) in enumerate(types.items()):
        ntid = 1_700_000_000_000 + index
        type_ids[name] = ntid
        kind = b"\x08\x01" if name == "cloze" else b""  # NotetypeConfig.kind = CLOZE
        con.execute("INSERT INTO notetypes VALUES (?, ?, 0, 0, ?)", (ntid, name, kind))
        con.executemany("INSERT INTO fields VALUES (?, ?, ?, x'')", [(ntid, i, f) for i, f in enumerate(fields)])
        con.execute("INSERT INTO templates VALUES (?, 0, 'Card 1', 0, 0, x'')", (ntid,))
    deck_ids: dict[str, int] = {}
    for nid, note in enumerate(notes, start=1_700_000_100_000):
        if note.deck not in deck_ids:
            deck_ids[note.deck] = _deck_id(note.deck)
            con.execute(
                "INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')",
                (deck_ids[note.deck], note.deck.replace("::", "\x1f")),  # schema 18 keeps \x1f between parts
            )
        tags = f" {' '.join(note.tags)} " if note.tags else ""
        con.execute(
            "INSERT INTO notes VALUES (?, ?, ?, 0, 0, ?, ?, ?, 0, 0, '')",
            (nid, _guid(note), type_ids[note.type], tags, "\x1f".join(note.fields), note.fields[0]),
        )
        con.execute(
            "INSERT INTO cards VALUES (?, ?, ?, 0, 0, 0, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, '{}')",
            (nid, nid, deck_ids[note.deck], nid),
        )
    con.commit()
    con.close()
    return path


def dummy_legacy_collection(folder: Path) -> bytes:
    """The legacy collection current Anki puts beside collection.anki21b for older versions to find."""
    package = legacy_apkg(folder / "dummy.apkg", [Note("basic", [DUMMY_TEXT, DUMMY_TEXT], deck="Default")])
    with zipfile.ZipFile(package) as archive:
        return archive.read("collection.anki2")


def anki21b_package(path: Path, notes: list[Note], types: dict[str, list[str]] | None = None) -> Path:
    """A current-format package: meta (version 3), zstd collection.anki21b, dummy collection.anki2."""
    types = types or {"choice": CHOICE_FIELDS, "basic": BASIC_FIELDS, "cloze": CLOZE_FIELDS}
    with tempfile.TemporaryDirectory() as tmp:
        db = collection_18(Path(tmp) / "collection.anki21b", notes, types)
        compressed = zstandard.ZstdCompressor(level=3).compress(db.read_bytes())
        dummy = dummy_legacy_collection(Path(tmp))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", dummy)
        archive.writestr(zipfile.ZipInfo("collection.anki21b"), compressed, compress_type=zipfile.ZIP_STORED)
        archive.writestr("meta", b"\x08\x03")  # PackageMetadata { version: LATEST }
        archive.writestr("media", zstandard.ZstdCompressor().compress(b""))
    return path


def choice_note(n: int, answer: str = "B", **kw: object) -> Note:
    """A multiple-choice note about DynamoDB, distinct per n."""
    fields = [
        f"問題 {n}: Amazon DynamoDB のテーブルで<b>強い整合性</b>の読み込みを {n} 回行います。",
        f"{n} RCU",
        f"{2 * n} RCU",
        f"{3 * n} RCU",
        f"{4 * n} RCU",
        answer,
        f"強い整合性の読み込みは 1 回 4 KB まで 1 RCU です（{n}）。",
    ]
    return Note("choice", fields, **kw)  # type: ignore[arg-type]
