"""`studybot content import`: parse the files, complete what every parser leaves to the importer (ids,
exams, services, the source), check the new pack with the content checker, and write it in one step.

What cannot be imported is reported with its file and place and left out; the rest goes in. A file
refused as a whole (not text, too large, unreadable) leaves whatever the pack already held from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import EXAMS, ID_PATTERN, ContentBank, ContentError, load_content
from bot.importing.ids import PACK_NAME, file_slug, stable_id
from bot.importing.pack import PACK_FILE, PackBusy, Staging, locked, packs_root, read_meta, read_yaml, stage
from bot.importing.pack_check import load_pack
from bot.importing.records import ImportedLookup, ImportOptions, ParseResult, Problem
from bot.importing.registry import kind_for, known_suffixes, parser_for
from bot.importing.services import ServiceIndex
from bot.importing.text import Refused, clean

JAPANESE = re.compile(r"[ぁ-ゖァ-ヺ一-龯]")
EXAM_IN_NAME = re.compile(r"(?<![A-Za-z])(DOP|DVA|SAA|SOA)(?:[-_ ]?C0\d)?(?![A-Za-z])", re.IGNORECASE)
DEFAULT_DIFFICULTY = 2
META_KEYS = ("title", "language", "licence", "source")


class ImportRefused(Exception):
    """Nothing was written; the message says why, and `report` (when the files were read) what each
    file held."""

    def __init__(self, message: str, report: ImportReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass
class FileReport:
    name: str
    kind: str
    questions: int = 0
    lookups: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: bool = False  # the whole file: its earlier questions in the pack are kept as they were


@dataclass
class ImportReport:
    pack: str
    pack_dir: Path
    files: list[FileReport]
    dry_run: bool
    questions_in_pack: int = 0
    lookups_in_pack: int = 0

    @property
    def problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems]

    def lines(self) -> list[str]:
        out = []
        for f in self.files:
            counts = []
            if f.questions or f.kind != "notes":
                counts.append(f"{f.questions} question(s) imported")
            if f.lookups or f.kind == "notes":
                counts.append(f"{f.lookups} lookup entr{'y' if f.lookups == 1 else 'ies'} imported")
            if f.refused:
                counts = ["refused, nothing taken from it"]
            skipped = sum(1 for p in f.problems if p.place)
            if skipped:
                counts.append(f"{skipped} not imported")
            out.append(f"{f.name}: {', '.join(counts)}" + (f" ({'; '.join(f.notes)})" if f.notes else ""))
            out += [f"  - {p}" for p in sorted(f.problems, key=_position)]
        verb = "would hold" if self.dry_run else "now holds"
        out.append(
            f"pack {self.pack!r} ({self.pack_dir}) {verb} {self.questions_in_pack} question(s) and "
            f"{self.lookups_in_pack} lookup entr{'y' if self.lookups_in_pack == 1 else 'ies'}"
            + ("; dry run, nothing written" if self.dry_run else "")
        )
        return out


@dataclass
class _Parsed:
    path: Path
    report: FileReport
    questions: list[dict[str, Any]] = field(default_factory=list)
    places: dict[str, str] = field(default_factory=dict)  # question/entry id -> place in the file
    lookups: list[dict[str, Any]] = field(default_factory=list)
    raw: ParseResult = field(default_factory=ParseResult)


def import_files(
    content_dir: Path,
    paths: list[Path],
    options: ImportOptions,
    *,
    notes: list[Path] | None = None,
    meta: dict[str, str] | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import `paths` (questions, by extension) and `notes` (study notes → lookup entries) into the
    pack. Raises ImportRefused when nothing could be written; otherwise the report lists, per file,
    what went in and what did not."""
    if not PACK_NAME.match(options.pack):
        raise ImportRefused(f"pack name {options.pack!r}: use a-z, 0-9 and '-', at most 30 characters")
    if options.pack == "core":
        raise ImportRefused("'core' is the shipped bank; import into a pack of your own")
    if options.exam is not None and options.exam not in EXAMS:
        raise ImportRefused(f"unknown exam {options.exam!r} (known: {', '.join(EXAMS)})")
    if options.service is not None and not ID_PATTERN.match(options.service):
        raise ImportRefused(f"bad service tag {options.service!r}")
    jobs = [(p, kind_for(p)) for p in paths] + [(p, "notes") for p in notes or []]
    if not jobs:
        raise ImportRefused("no files given")
    names = [p.name for p, _ in jobs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ImportRefused(f"two files named {', '.join(twice)}: a pack cites files by name; rename one")
    try:
        core = load_content(
            content_dir, skip_packs=frozenset({options.pack})
        )  # this pack is checked from its staging copy
    except ContentError as exc:
        raise ImportRefused(f"the content in {content_dir} has problems; fix them first\n{exc}") from None
    services = ServiceIndex(core)
    if options.service is not None and not services.known(options.service):
        raise ImportRefused(f"--service {options.service}: the bank has no service entry with this tag")
    target = packs_root(content_dir) / options.pack
    try:
        with locked(content_dir, options.pack, dry_run=dry_run):
            return _import_locked(content_dir, target, jobs, options, core, services, meta or {}, dry_run)
    except PackBusy as exc:
        raise ImportRefused(str(exc)) from None


def _import_locked(
    content_dir: Path,
    target: Path,
    jobs: list[tuple[Path, str | None]],
    options: ImportOptions,
    core: ContentBank,
    services: ServiceIndex,
    meta: dict[str, str],
    dry_run: bool,
) -> ImportReport:
    new_meta = _merged_meta(options.pack, read_meta(target), meta, exists=target.is_dir() or dry_run)
    parsed = [_parse_one(path, kind, options) for path, kind in jobs]
    for item in parsed:
        _complete(item, options, services)
    report = ImportReport(options.pack, target, [p.report for p in parsed], dry_run)
    if not any(item.questions or item.lookups for item in parsed):
        if not target.is_dir():
            raise ImportRefused("nothing in these files could be imported", report)
        report.questions_in_pack, report.lookups_in_pack = _count(target)
        return report  # nothing new: the pack is left exactly as it was
    with stage(content_dir, options.pack, dry_run=dry_run) as staging:
        _write(staging, parsed, new_meta)
        try:
            pack = _drop_what_the_checker_refuses(staging, parsed, core)
        except ImportRefused as exc:
            raise ImportRefused(str(exc), report) from None
        report.questions_in_pack, report.lookups_in_pack = len(pack.questions), len(pack.entries)
        if not dry_run:
            staging.commit()
    return report


def _position(problem: Problem) -> tuple[int, str]:
    """Problems in the order of the file: whole-file ones first, then by line or note number."""
    digits = re.findall(r"\d+", problem.place)
    return (int(digits[0]) if digits else -1, problem.place)


def _merged_meta(name: str, old: dict[str, Any], given: dict[str, str], *, exists: bool) -> dict[str, Any]:
    """pack.yaml's description as the user gave it: each value given now, else the one from before."""
    meta: dict[str, Any] = {k: given.get(k) or old.get(k) for k in META_KEYS}
    missing = [k for k in ("licence", "source") if not meta.get(k)]
    if missing and not exists:
        flags = " and ".join(f"--{k}" for k in missing)
        raise ImportRefused(
            f"a new pack needs {flags}: say under which licence the material may be used and where it comes from"
        )
    meta["title"] = meta.get("title") or name
    meta["imported"] = True
    sources = old.get("sources") if isinstance(old.get("sources"), list) else []
    meta["sources"] = [s for s in sources if isinstance(s, dict)]
    return meta


def _parse_one(path: Path, kind: str | None, options: ImportOptions) -> _Parsed:
    report = FileReport(path.name, kind or "?")
    item = _Parsed(path, report)
    if kind is None:
        report.refused = True
        suffix = path.suffix or "(none)"
        report.problems.append(
            Problem(path.name, "", f"no importer reads {suffix} files (known: {', '.join(known_suffixes())})")
        )
        return item
    try:
        result = parser_for(kind)(path, options)
    except Refused as exc:
        report.refused = True
        report.problems.append(Problem(path.name, "", str(exc)))
        return item
    except (MemoryError, RecursionError) as exc:
        report.refused = True
        report.problems.append(Problem(path.name, "", f"too large or too deeply nested ({type(exc).__name__})"))
        return item
    item.raw = result
    report.problems.extend(result.problems)
    report.notes.extend(result.notes)
    return item


def _complete(item: _Parsed, options: ImportOptions, services: ServiceIndex) -> None:
    """Ids, exams, services and the source for every question and entry of one file; duplicates and
    questions that cannot be completed are reported and left out."""
    path, report, result = item.path, item.report, item.raw
    file_exam = options.exam or _exam_in(path.name)
    seen: dict[str, str] = {}
    no_exam = 0
    for q in result.questions:
        data: dict[str, Any] = clean(q.data)  # type: ignore[assignment]
        qid = stable_id(options.pack, path.name, q.key or _identity(data))
        if qid in seen:
            report.problems.append(Problem(path.name, q.place, f"the same question as at {seen[qid]}; left out"))
            continue
        exams = data.get("exams") or ([file_exam] if file_exam else [])
        if not exams:
            no_exam += 1
            continue
        section = str((data.get("source") or {}).get("section") or "").strip() or path.stem
        prompt = str(data.get("prompt", ""))
        tags = data.get("services") or services.infer(
            section,
            prompt,
            " ".join(str(c.get("text", "")) for c in data.get("choices", []) if c.get("id") in data.get("answer", [])),
        )
        if not tags and options.service:
            tags = [options.service]
        if not tags:
            report.problems.append(
                Problem(path.name, q.place, "no AWS service named in its topic, prompt or answer; give --service TAG")
            )
            continue
        seen[qid] = q.place
        item.places[qid] = q.place
        out: dict[str, Any] = {
            "id": qid,
            "lang": data.get("lang") or ("ja" if JAPANESE.search(prompt) else "en"),
            "exams": list(exams),
            "services": list(tags),
            "difficulty": data.get("difficulty", DEFAULT_DIFFICULTY),
            "prompt": prompt,
            "choices": [dict(c) for c in data.get("choices", [])],
            "answer": list(data.get("answer", [])),
            "explanation": data.get("explanation", ""),
            "source": {"seed": path.name, "section": section},
        }
        if "shuffle" in data:
            out["shuffle"] = data["shuffle"]
        if any(not str(c.get("explanation") or "").strip() for c in out["choices"]):
            out["choice_explanations"] = False
            for c in out["choices"]:
                c["explanation"] = str(c.get("explanation") or "").strip()
        item.questions.append(out)
    if no_exam:
        report.problems.append(
            Problem(
                path.name,
                "",
                f"{no_exam} question(s) name no exam and the file's name none either; give --exam ({', '.join(EXAMS)})",
            )
        )
    _complete_lookups(item, options, services, result.lookups)
    report.questions = len(item.questions)
    report.lookups = len(item.lookups)


def _complete_lookups(
    item: _Parsed, options: ImportOptions, services: ServiceIndex, entries: list[ImportedLookup]
) -> None:
    """Ids for every entry first (related names keys of entries before or after it), then each entry
    with its service: named in its term or aliases, else its parent's, else the pack's name."""
    path, report = item.path, item.report
    ids: dict[str, str] = {}  # key -> id
    kept: list[tuple[ImportedLookup, str]] = []
    for e in entries:
        e.data = clean(e.data)  # type: ignore[assignment]
        key = e.key or str(e.data.get("term", ""))
        eid = stable_id(options.pack, path.name, "lookup\n" + key)
        if eid in item.places:
            report.problems.append(Problem(path.name, e.place, f"the same entry as at {item.places[eid]}; left out"))
            continue
        ids[key] = eid
        item.places[eid] = e.place
        kept.append((e, key))
    service_of: dict[str, str | None] = {}
    for e, key in kept:
        data = e.data
        term = str(data.get("term", "")).strip()
        related = [r for r in data.get("related", []) if r in ids]
        named = services.tags_in(" ".join([term, *map(str, data.get("aliases", []))])).most_common(1)
        inherited = next((service_of[r] for r in related if service_of.get(r)), None)
        service = data.get("service") or (named[0][0] if named else None) or inherited
        service_of[key] = service
        item.lookups.append(
            {
                "id": ids[key],
                "term": term,
                "kind": data.get("kind") or ("feature" if service else "concept"),
                "service": service or options.pack,
                "aliases": list(data.get("aliases", [])),
                "summary": list(data.get("summary", [])),
                "related": [ids[r] for r in related],
                "status": data.get("status", "current"),
                "sources": [{"seed": path.name, "section": term}],
            }
        )


def _identity(data: dict[str, Any]) -> str:
    """A question is its prompt and its choices: practice sets reuse stems ("正しいものはどれですか。")
    with other choices, and those are other questions."""
    texts = [str(data.get("prompt", ""))] + [str(c.get("text", "")) for c in data.get("choices", [])]
    return "\n".join(texts)


def _exam_in(name: str) -> str | None:
    m = EXAM_IN_NAME.search(name)
    if not m:
        return None
    prefix = m.group(1).upper()
    return next((e for e in EXAMS if e.startswith(prefix)), None)


def _write(staging: Staging, parsed: list[_Parsed], meta: dict[str, Any]) -> None:
    """Each imported file becomes its own YAML in the pack (replacing what it gave before); a file
    refused whole, or with nothing importable, leaves its earlier YAML alone."""
    langs = [q["lang"] for item in parsed for q in item.questions]
    meta["language"] = meta.get("language") or max(("ja", "en"), key=langs.count)  # ties: ja
    for source in meta["sources"]:
        source["title"] = meta["title"]  # the pack's title is what a reveal names as the source
    cited = {s.get("id") for s in meta["sources"]}
    for item in parsed:
        slug = file_slug(item.path.name)
        if item.questions:
            staging.write_group("questions", slug, "questions", item.questions)
        if item.lookups:
            staging.write_group("lookup", slug, "entries", item.lookups)
        if (item.questions or item.lookups) and item.path.name not in cited:
            meta["sources"].append({"id": item.path.name, "title": meta["title"]})
            cited.add(item.path.name)
    staging.write(PACK_FILE, meta)


def _drop_what_the_checker_refuses(staging: Staging, parsed: list[_Parsed], core: ContentBank) -> ContentBank:
    """Check the staged pack; a question or entry the checker refuses is left out and reported with its
    place, and the pack is checked again. A problem no imported item explains refuses the import."""
    for _ in range(2):
        try:
            return load_pack(staging.dir, core, staging.target.name)
        except ContentError as exc:
            problems = exc.problems
        owners = {qid: item for item in parsed for qid in item.places}
        unexplained = [p for p in problems if p.entry not in owners]
        if unexplained:
            lines = "\n".join(f"  - {p}" for p in unexplained[:20])
            raise ImportRefused(f"the pack would not pass the content check; nothing written:\n{lines}")
        for p in problems:
            item = owners[p.entry]
            where = f"{p.field}: " if p.field else ""
            item.report.problems.append(Problem(item.path.name, item.places[p.entry], f"{where}{p.message}"))
        bad = {p.entry for p in problems}
        for item in parsed:
            item.questions = [q for q in item.questions if q["id"] not in bad]
            item.lookups = [e for e in item.lookups if e["id"] not in bad]
            for e in item.lookups:
                e["related"] = [r for r in e["related"] if r not in bad]
            item.report.questions, item.report.lookups = len(item.questions), len(item.lookups)
        for item in parsed:
            slug = file_slug(item.path.name)
            for folder, rows, key in (("questions", item.questions, "questions"), ("lookup", item.lookups, "entries")):
                if rows:
                    staging.write_group(folder, slug, key, rows)
                else:  # nothing of it left: the pack keeps what this file gave it before, if anything
                    staging.restore_group(folder, slug)
    try:
        return load_pack(staging.dir, core, staging.target.name)
    except ContentError as exc:
        lines = "\n".join(f"  - {p}" for p in exc.problems[:20])
        raise ImportRefused(f"the pack would not pass the content check; nothing written:\n{lines}") from None


def _count(pack_dir: Path) -> tuple[int, int]:
    counts = []
    for folder, key in (("questions", "questions"), ("lookup", "entries")):
        total = 0
        for path in sorted((pack_dir / folder).glob("*.yaml")):
            data = read_yaml(path)
            total += len(data.get(key) or []) if isinstance(data, dict) else 0
        counts.append(total)
    return counts[0], counts[1]
