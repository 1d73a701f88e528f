"""Study content: the question bank and the lookup notes, loaded from YAML and validated.

Validation collects every problem of every file before failing, so an author fixes a broken file in
one pass instead of one stack trace at a time. Each problem names the file, the entry id and the field.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.packs import CORE, CORE_PACK, PACK_NAME, Pack, pack_from, pack_problems

EXAMS = ("DOP-C02", "DVA-C02", "SAA-C03", "SOA-C02")
CHOICE_IDS = "abcdef"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
LOOKUP_KINDS = ("service", "feature", "concept")
STATUSES = ("current", "legacy")
# libyaml's safe loader when PyYAML was built with it: several times faster on the whole bank.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A content file is hand-written text; anything past this is a mistake or an attack, refused unread.
MAX_FILE_BYTES = 2_000_000
# A problem quotes at most this much of a bad value, so a huge value cannot flood logs or HTTP answers.
EXCERPT_CHARS = 80


@dataclass(frozen=True)
class Source:
    seed: str  # the id of a source declared in content/sources.yaml
    section: str
    title: str = ""  # the source's title, for learners ("DOP 学習ノート")


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    explanation: str


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    exams: tuple[str, ...]
    services: tuple[str, ...]
    difficulty: int
    prompt: str
    choices: tuple[Choice, ...]
    answer: frozenset[str]
    explanation: str
    source: Source
    file: str = ""
    shuffle: bool = True  # False: the choices keep their order (e.g. "none of the above" stays last)
    # False: imported material without an explanation per choice (some are ""); allowed in packs only
    choice_explanations: bool = True
    pack: str = CORE  # the content pack it belongs to (bot/packs.py)

    @property
    def multi(self) -> bool:
        return len(self.answer) > 1

    def choice(self, choice_id: str) -> Choice:
        return next(c for c in self.choices if c.id == choice_id)

    def is_correct(self, chosen: Iterable[str]) -> bool:
        """Multi-select is all-or-nothing: exactly the right set, no more, no less."""
        return frozenset(chosen) == self.answer


@dataclass(frozen=True)
class LookupEntry:
    id: str
    term: str
    kind: str
    service: str
    aliases: tuple[str, ...]
    summary: tuple[str, ...]
    related: tuple[str, ...]
    status: str
    sources: tuple[Source, ...]
    file: str = ""
    pack: str = CORE

    @property
    def names(self) -> tuple[str, ...]:
        return (self.id, self.term, *self.aliases)


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.file, self.entry, self.field) if p)
        return f"{where}: {self.message}"


class ContentError(Exception):
    """The content has problems; all of them are listed, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} content problem(s):\n{lines}")


@dataclass
class ContentBank:
    questions: dict[str, Question] = field(default_factory=dict)
    entries: dict[str, LookupEntry] = field(default_factory=dict)
    packs: dict[str, Pack] = field(default_factory=dict)  # every loaded pack by name, `core` first

    def only(self, packs: frozenset[str]) -> ContentBank:
        """The questions and lookup entries of these packs: what one community draws from."""
        return ContentBank(
            {k: q for k, q in self.questions.items() if q.pack in packs},
            {k: e for k, e in self.entries.items() if e.pack in packs},
            {k: p for k, p in self.packs.items() if k in packs},
        )

    def services(self) -> set[str]:
        return {s for q in self.questions.values() for s in q.services}

    def matching(self, exam: str | None = None, service: str | None = None) -> list[Question]:
        """Questions of the exam and service. For a service, those whose primary service it is (the first
        tag) when there are any: /quiz lambda is about Lambda, not about what merely calls it."""
        found = [
            q
            for q in self.questions.values()
            if (exam is None or exam in q.exams) and (service is None or service in q.services)
        ]
        primary = [q for q in found if service is not None and q.services[0] == service]
        return primary or found


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """repr() of a value, cut to a bounded length: problems quote what was wrong, never all of it."""
    text = repr(value) if not isinstance(value, (list, dict, tuple, set)) else _shallow_repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shallow_repr(value: object) -> str:
    """A container's repr without walking into it: a nested value may be arbitrarily large."""
    size = len(value)  # type: ignore[arg-type]
    return f"<{type(value).__name__} of {size} item{'s' if size != 1 else ''}>"


def content_files(folder: Path) -> list[Path]:
    """The YAML files of a content folder. Hidden names (editor lock files such as .#x.yaml, which may be
    dangling links) are not content; everything else named *.yaml is, and problems with it are reported."""
    try:
        return sorted(p for p in folder.glob("*.y*ml") if not p.name.startswith("."))
    except OSError:
        return []


def normalize(text: str) -> str:
    """Width- and case-insensitive form, so 'ＡＳＧ', 'asg' and 'ASG' compare equal."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def load_content(
    content_dir: Path, seeds_dir: Path | None = None, skip_packs: frozenset[str] = frozenset()
) -> ContentBank:
    """Read and validate every YAML file under content_dir; raise ContentError listing all problems.
    skip_packs: packs left out (an import checks the pack it rewrites on its own, from its staging copy)."""
    loader = _Loader(content_dir, seeds_dir)
    loader.skip_packs = skip_packs
    return loader.load()


async def load_content_async(content_dir: Path, seeds_dir: Path | None = None) -> ContentBank:
    """Parsing a few hundred YAML entries takes long enough to stall the event loop; do it in a thread."""
    return await asyncio.to_thread(load_content, content_dir, seeds_dir)


class _Refused(Exception):
    """A file refused before it is parsed into values."""


def _parse(path: Path) -> Any:
    """Parse one file, refusing what a hand-written content file never needs: more than MAX_FILE_BYTES,
    and YAML anchors/aliases, whose expansion (a "billion laughs" file of a few hundred bytes) would
    stall the event loop and blow up every message that quotes the value."""
    if not path.is_file():
        raise _Refused("not a regular file")
    with path.open("rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise _Refused(f"larger than {MAX_FILE_BYTES // 1_000_000} MB; split it into several files")
    text = raw.decode("utf-8")
    if text.startswith("{"):
        # JSON is YAML, and `studybot content import` writes packs as JSON: the stdlib reads it some
        # 40 times faster than PyYAML builds the same values (thousands of imported questions).
        with contextlib.suppress(json.JSONDecodeError):
            return json.loads(text)
    if "&" in text or "*" in text:  # cheap filter: only files that could hold an anchor are scanned
        for event in yaml.parse(text, Loader=SAFE_LOADER):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise _Refused(f"YAML anchors and aliases are not allowed (line {mark.line + 1}); write the value out")
    return yaml.load(text, Loader=SAFE_LOADER)


class _Loader:
    # Imported packs may hold questions whose source explains the answer but not each choice
    # (`choice_explanations: false`); the shipped bank explains every choice.
    unexplained_choices_allowed = False

    def __init__(self, content_dir: Path, seeds_dir: Path | None):
        self.content_dir = content_dir
        self.seeds_dir = seeds_dir  # given: every declared source must also be a file there
        self.sources: dict[str, str] = {}  # declared source id -> title
        self.pack = CORE_PACK  # the pack being read
        self.skip_packs: frozenset[str] = frozenset()
        self.pack_sources: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.bank = ContentBank()

    def load(self) -> ContentBank:
        if not self.content_dir.is_dir():
            raise ContentError([Problem(str(self.content_dir), "", "", "content directory not found")])
        try:
            self._load_all()
        except (MemoryError, RecursionError) as exc:
            # Validation walks values the YAML produced; a pathological file must not take the bot down.
            self._problem(
                str(self.content_dir), "", "", f"content too large or too deeply nested ({type(exc).__name__})"
            )
        if self.problems:
            raise ContentError(self.problems)
        return self.bank

    def _load_all(self) -> None:
        """The shipped bank (the pack `core`: content/questions, content/lookup) and then every pack under
        content/packs/, each validated the same way; ids are unique across all of them."""
        self.sources = self._declared_sources(self.content_dir / "sources.yaml", seeds=True)
        self._start_pack(CORE_PACK, {})
        question_files = content_files(self.content_dir / "questions")
        if not question_files:
            self._problem(str(self.content_dir / "questions"), "", "", "no question files (*.yaml)")
        for path in question_files:
            self._read_file(path, ("questions",))
        for path in content_files(self.content_dir / "lookup"):
            self._read_file(path, ("entries",))
        self._load_packs()
        self._cross_checks()
        self.bank.packs = {
            name: replace(
                pack,
                questions=sum(q.pack == name for q in self.bank.questions.values()),
                entries=sum(e.pack == name for e in self.bank.entries.values()),
            )
            for name, pack in self.bank.packs.items()
        }

    def _start_pack(self, pack: Pack, sources: dict[str, str]) -> None:
        self.pack = pack
        self.pack_sources = sources  # what this pack's own sources.yaml declares, beside content/sources.yaml
        self.bank.packs[pack.name] = pack

    def _read_file(self, path: Path, keys: tuple[str, ...]) -> None:
        key, items = self._items(path, keys)
        read = self._question if key == "questions" else self._entry
        for item, where in items:
            self._guarded(read, item, where)

    def _load_packs(self) -> None:
        """content/packs/NAME/: pack.yaml, optionally sources.yaml, and question or lookup files (a file's
        top key says which), directly in the folder or in questions/ and lookup/ as in the shipped bank."""
        root = self.content_dir / "packs"
        try:
            folders = sorted(p for p in root.iterdir() if not p.name.startswith(".") and p.is_dir())
        except OSError:  # no packs folder: only the shipped bank
            return
        for folder in folders:
            where = self._rel(folder)
            if folder.name == CORE:
                self._problem(
                    where, "", "", f"'{CORE}' is the shipped bank (content/questions); name the pack otherwise"
                )
                continue
            if not PACK_NAME.match(folder.name):
                self._problem(where, "", "", "a pack's folder name must match [a-z0-9][a-z0-9-]* (40 chars max)")
                continue
            if folder.name not in self.skip_packs:
                self._load_pack(folder, folder.name)

    def _load_pack(self, folder: Path, name: str) -> None:
        """One pack's folder, read as pack `name` (an import checks its staging folder under the name it
        will take)."""
        where = self._rel(folder)
        read = self._pack_file(folder, name)
        if read is None:
            return
        pack, meta = read
        sources_file = folder / "sources.yaml"
        sources = self._declared_sources(sources_file, seeds=False) if sources_file.exists() else {}
        if "sources" in meta:  # what the importer writes: the files it read, which its questions cite
            if isinstance(meta["sources"], list):
                items = [(s, self._rel(folder / "pack.yaml")) for s in meta["sources"] if isinstance(s, dict)]
                sources |= self._source_entries(items, seeds=False)
            else:
                self._problem(self._rel(folder / "pack.yaml"), "", "sources", "must be a list of id and title")
        self._start_pack(pack, sources)
        files = [p for p in content_files(folder) if p.name not in ("pack.yaml", "sources.yaml")]
        files += content_files(folder / "questions") + content_files(folder / "lookup")
        if not files:
            self._problem(where, "", "", "no question or lookup files (*.yaml) beside pack.yaml")
        for path in files:
            self._read_file(path, ("questions", "entries"))

    def _pack_file(self, folder: Path, pack_name: str) -> tuple[Pack, dict[str, Any]] | None:
        path = folder / "pack.yaml"
        name = self._rel(path)
        if not path.is_file():
            self._problem(name, "", "", "missing: every pack has a pack.yaml (title, language, licence, source)")
            return None
        try:
            data = _parse(path)
        except (UnicodeDecodeError, _Refused, OSError, yaml.YAMLError) as exc:
            self._problem(name, "", "", f"cannot be read: {excerpt(str(exc), 200)}")
            return None
        if not isinstance(data, dict):
            self._problem(name, "", "", "must be a mapping (title, language, licence, source)")
            return None
        problems = pack_problems(data)
        for fld, message in problems:
            self._problem(name, "", fld, message)
        return None if problems else (pack_from(pack_name, data, self._rel(folder)), data)

    def _guarded(self, read: Any, item: dict[str, Any], where: str) -> None:
        """One entry the checks did not foresee (a type nobody expected) is one problem, not a crash:
        reload keeps the old content, the watcher keeps watching, and the author sees which entry."""
        try:
            read(item, where)
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # any surprise in one entry is that entry's problem
            entry = item.get("id")
            self._problem(
                where, entry if isinstance(entry, str) else "?", "", f"could not be read ({type(exc).__name__})"
            )

    def _declared_sources(self, path: Path, seeds: bool) -> dict[str, str]:
        """content/sources.yaml names what questions may cite, so the bank checks itself without the raw
        notes beside it; with a seeds directory given, each declared source must also be a file there.
        A pack may declare its own sources (its files, its deck) in a sources.yaml of its own."""
        if not path.is_file():
            self._problem(self._rel(path), "", "", "missing: it declares the sources questions cite")
            return {}
        return self._source_entries(self._items(path, ("sources",))[1], seeds)

    def _source_entries(self, items: list[tuple[dict[str, Any], str]], seeds: bool) -> dict[str, str]:
        declared: dict[str, str] = {}
        for item, where in items:
            sid, title = item.get("id"), item.get("title")
            if not isinstance(sid, str) or not sid.strip() or not isinstance(title, str) or not title.strip():
                self._problem(where, str(sid)[:40], "", "a source needs an id and a title")
                continue
            exam = item.get("exam")
            if exam is not None and exam not in EXAMS:
                self._problem(where, sid, "exam", f"unknown exam {excerpt(exam)}")
            declared[sid] = title.strip()
            if seeds and self.seeds_dir is not None and not (self.seeds_dir / sid).is_file():
                self._problem(where, sid, "id", f"no file {excerpt(sid)} in {self.seeds_dir}")
        return declared

    def _problem(self, file: str, entry: str, fld: str, message: str) -> None:
        self.problems.append(Problem(file, entry, fld, message))

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.content_dir.parent))
        except ValueError:
            return str(path)

    def _items(self, path: Path, keys: tuple[str, ...] | str) -> tuple[str | None, list[tuple[dict[str, Any], str]]]:
        """The entries of a file under the first of `keys` it has (the key found, the entries)."""
        keys = (keys,) if isinstance(keys, str) else keys
        name = self._rel(path)
        try:
            data = _parse(path)
        except UnicodeDecodeError:
            self._problem(name, "", "", "not UTF-8 text")
            return None, []
        except _Refused as exc:
            self._problem(name, "", "", str(exc))
            return None, []
        except OSError as exc:
            self._problem(name, "", "", f"cannot be read: {exc.strerror or type(exc).__name__}")
            return None, []
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            reason = getattr(exc, "problem", None) or str(exc)
            self._problem(name, "", "", f"malformed YAML{at}: {reason[:200]}")
            return None, []
        key = next((k for k in keys if isinstance(data, dict) and isinstance(data.get(k), list)), None)
        if key is None:
            wanted = " or ".join(f"'{k}:'" for k in keys)
            self._problem(
                name, "", keys[0] if len(keys) == 1 else "", f"the file must be a mapping with a list under {wanted}"
            )
            return None, []
        items = []
        for index, item in enumerate(data[key]):
            if not isinstance(item, dict):
                self._problem(name, f"#{index + 1}", "", "each entry must be a mapping")
                continue
            items.append((item, name))
        return key, items

    # -- field readers: each records a problem and returns None when the value is unusable

    def _text(self, item: dict[str, Any], key: str, file: str, entry: str) -> str | None:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            self._problem(file, entry, key, "required text is missing or empty")
            return None
        return value.strip()

    def _list(self, item: dict[str, Any], key: str, file: str, entry: str, *, required: bool = True) -> list:
        value = item.get(key, [] if not required else None)
        if value is None or not isinstance(value, list):
            self._problem(file, entry, key, "must be a list")
            return []
        if required and not value:
            self._problem(file, entry, key, "must not be empty")
        return value

    def _source(self, value: Any, file: str, entry: str, fld: str) -> Source | None:
        if not isinstance(value, dict):
            self._problem(file, entry, fld, "must be a mapping with seed and section")
            return None
        seed, section = value.get("seed"), value.get("section")
        ok = True
        if not isinstance(seed, str) or not seed.strip():
            self._problem(file, entry, f"{fld}.seed", "required text is missing or empty")
            ok = False
        elif seed not in self.sources and seed not in self.pack_sources:
            self._problem(file, entry, f"{fld}.seed", f"{excerpt(seed)} is not a source declared in sources.yaml")
            ok = False
        if not isinstance(section, str) or not section.strip():
            self._problem(file, entry, f"{fld}.section", "required text is missing or empty")
            ok = False
        if not ok:
            return None
        title = self.pack_sources.get(seed) or self.sources[seed]  # type: ignore[index]
        return Source(seed, section.strip(), title)  # type: ignore[arg-type, union-attr]

    def _id(self, item: dict[str, Any], file: str, index_hint: str) -> str:
        raw = item.get("id")
        if not isinstance(raw, str) or not ID_PATTERN.match(raw):
            shown = str(raw)[:40] if raw and not isinstance(raw, (list, dict)) else index_hint
            self._problem(file, shown, "id", "must match [a-z0-9][a-z0-9-]* (60 chars max)")
            return shown
        return raw

    def _question(self, item: dict[str, Any], file: str) -> None:
        before = len(self.problems)
        qid = self._id(item, file, "?")
        lang = item.get("lang", "ja")
        if lang not in ("ja", "en"):
            self._problem(file, qid, "lang", "must be ja or en")
        exams = self._list(item, "exams", file, qid)
        for exam in exams:
            if exam not in EXAMS:
                self._problem(file, qid, "exams", f"unknown exam {excerpt(exam)} (known: {', '.join(EXAMS)})")
        services = self._list(item, "services", file, qid)
        for service in services:
            if not isinstance(service, str) or not ID_PATTERN.match(service):
                self._problem(file, qid, "services", f"bad service tag {excerpt(service)}")
        difficulty = item.get("difficulty")
        if difficulty not in (1, 2, 3):
            self._problem(file, qid, "difficulty", "must be 1, 2 or 3")
        prompt = self._text(item, "prompt", file, qid)
        explanation = self._text(item, "explanation", file, qid)
        explained = item.get("choice_explanations", True)
        if not isinstance(explained, bool):
            self._problem(file, qid, "choice_explanations", "must be true or false")
            explained = True
        elif not explained and not (self.unexplained_choices_allowed or self.pack.imported):
            self._problem(file, qid, "choice_explanations", "only imported packs may leave choices unexplained")
            explained = True
        choices = self._choices(item, file, qid, explained)
        answer = self._list(item, "answer", file, qid)
        if not all(isinstance(a, str) for a in answer):
            self._problem(file, qid, "answer", "must be a list of choice ids such as [a] or [b, d]")
            answer = [a for a in answer if isinstance(a, str)]
        choice_ids = {c.id for c in choices}
        for a in answer:
            if a not in choice_ids:
                self._problem(file, qid, "answer", f"correct answer {excerpt(a)} is not among the choices")
        if len(set(answer)) != len(answer):
            self._problem(file, qid, "answer", "lists the same choice twice")
        if choices and len(set(answer)) >= len(choices):
            self._problem(file, qid, "answer", "every choice is correct; leave at least one wrong")
        source = self._source(item.get("source"), file, qid, "source")
        shuffle = item.get("shuffle", True)
        if not isinstance(shuffle, bool):
            self._problem(file, qid, "shuffle", "must be true or false")
        if qid in self.bank.questions:
            other = self.bank.questions[qid]
            self._problem(file, qid, "id", self._clash("question", other.pack, other.file))
            return
        if len(self.problems) > before:
            return
        self.bank.questions[qid] = Question(
            id=qid,
            lang=lang,
            exams=tuple(exams),
            services=tuple(services),
            difficulty=difficulty,  # type: ignore[arg-type]
            prompt=prompt,  # type: ignore[arg-type]
            choices=tuple(choices),
            answer=frozenset(answer),
            explanation=explanation,  # type: ignore[arg-type]
            source=source,  # type: ignore[arg-type]
            file=file,
            shuffle=shuffle is not False,
            choice_explanations=explained,
            pack=self.pack.name,
        )

    def _choices(self, item: dict[str, Any], file: str, qid: str, explained: bool = True) -> list[Choice]:
        raw = self._list(item, "choices", file, qid)
        if raw and not 2 <= len(raw) <= 6:
            self._problem(file, qid, "choices", f"needs 2 to 6 choices, has {len(raw)}")
        choices = []
        for index, c in enumerate(raw):
            where = f"choices[{index}]"
            if not isinstance(c, dict):
                self._problem(file, qid, where, "must be a mapping with id, text, explanation")
                continue
            expected = CHOICE_IDS[index] if index < len(CHOICE_IDS) else "?"
            if c.get("id") != expected:
                self._problem(file, qid, f"{where}.id", f"must be {expected!r} (choices are a, b, c ... in order)")
            text = c.get("text").strip() if isinstance(c.get("text"), str) else ""
            if not text:
                self._problem(file, qid, f"{where}.text", "required text is missing or empty")
            why = c.get("explanation", "" if not explained else None)
            if not isinstance(why, str) or (explained and not why.strip()):
                self._problem(file, qid, f"{where}.explanation", "every choice needs its own explanation")
            elif text:
                choices.append(Choice(str(c.get("id")), text, why.strip()))
        texts = [normalize(c.text) for c in choices]
        if len(set(texts)) != len(texts):
            self._problem(file, qid, "choices", "two choices have the same text")
        return choices

    def _entry(self, item: dict[str, Any], file: str) -> None:
        before = len(self.problems)
        eid = self._id(item, file, "?")
        term = self._text(item, "term", file, eid)
        kind = item.get("kind", "concept")
        if kind not in LOOKUP_KINDS:
            self._problem(file, eid, "kind", f"must be one of {', '.join(LOOKUP_KINDS)}")
        service = item.get("service", eid if kind == "service" else None)
        if not isinstance(service, str) or not ID_PATTERN.match(service):
            self._problem(file, eid, "service", "must name the service tag this entry belongs to")
        elif kind == "service" and service != eid:
            self._problem(file, eid, "service", "a service entry's service tag must be its own id")
        aliases = self._list(item, "aliases", file, eid, required=False)
        summary = self._list(item, "summary", file, eid)
        for line in summary:
            if not isinstance(line, str) or not line.strip():
                self._problem(file, eid, "summary", "bullets must be non-empty text")
        related = self._list(item, "related", file, eid, required=False)
        for key, values in (("aliases", aliases), ("related", related)):
            if not all(isinstance(v, str) and v.strip() for v in values):
                self._problem(file, eid, key, "must be a list of non-empty text")
        status = item.get("status", "current")
        if status not in STATUSES:
            self._problem(file, eid, "status", f"must be one of {', '.join(STATUSES)}")
        sources = [
            self._source(s, file, eid, f"sources[{i}]") for i, s in enumerate(self._list(item, "sources", file, eid))
        ]
        if eid in self.bank.entries:
            other = self.bank.entries[eid]
            self._problem(file, eid, "id", self._clash("lookup", other.pack, other.file))
            return
        if len(self.problems) > before:
            return
        self.bank.entries[eid] = LookupEntry(
            id=eid,
            term=term,  # type: ignore[arg-type]
            kind=kind,
            service=service,  # type: ignore[arg-type]
            aliases=tuple(str(a) for a in aliases),
            summary=tuple(s.strip() for s in summary),
            related=tuple(str(r) for r in related),
            status=status,
            sources=tuple(s for s in sources if s is not None),
            file=file,
            pack=self.pack.name,
        )

    def _clash(self, kind: str, other_pack: str, other_file: str) -> str:
        """An id belongs to exactly one pack: a clash names both, so the author knows which to rename."""
        if other_pack == self.pack.name:
            return f"duplicate {kind} id (also in {other_file})"
        return f"{kind} id in pack '{self.pack.name}' is also in pack '{other_pack}' ({other_file}); an id belongs to one pack"

    def _cross_checks(self) -> None:
        entries = self.bank.entries
        for entry in entries.values():
            for rel in entry.related:
                if rel not in entries:
                    self._problem(entry.file, entry.id, "related", f"no lookup entry with id {excerpt(rel)}")
        if not entries:
            return
        service_entries = {e.id for e in entries.values() if e.kind == "service"}
        for q in self.bank.questions.values():
            for service in q.services:
                if service not in service_entries:
                    self._problem(q.file, q.id, "services", f"service tag {excerpt(service)} has no lookup entry")
