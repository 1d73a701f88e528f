"""A pack checked by the same checker as the shipped bank, beside it.

A pack folder is laid out like the bank (content/FORMAT.md): `questions/*.yaml` and `lookup/*.yaml` in
the bank's formats, with `pack.yaml` in place of sources.yaml (the pack declares the files it was
imported from under `sources:`, and the questions cite them). The checks are the bank's, plus: ids must
not clash with the bank's, a question's service tags and a lookup entry's related ids may name the
bank's entries, and an imported question may leave its choices unexplained (point 5 of issue 16).
"""

from __future__ import annotations

from pathlib import Path

from bot.content import (
    ContentBank,
    ContentError,
    Problem,
    _Loader,
    content_files,
    excerpt,
)
from bot.content_style import size_problems

PACK_FILE = "pack.yaml"


class PackLoader(_Loader):
    unexplained_choices_allowed = True

    def __init__(self, pack_dir: Path, core: ContentBank):
        super().__init__(pack_dir, None)
        self.core = core

    def _load_all(self) -> None:
        self._declared_sources()
        for path in content_files(self.content_dir / "questions"):
            for item, where in self._items(path, "questions"):
                self._guarded(self._question, item, where)
        for path in content_files(self.content_dir / "lookup"):
            for item, where in self._items(path, "entries"):
                self._guarded(self._entry, item, where)
        if not self.bank.questions and not self.bank.entries and not self.problems:
            self._problem(self._rel(self.content_dir), "", "", "the pack holds no questions and no lookup entries")
        self._cross_checks()

    def _declared_sources(self) -> None:
        path = self.content_dir / PACK_FILE
        if not path.is_file():
            self._problem(self._rel(path), "", "", "missing: it names the pack and the files it was imported from")
            return
        for item, where in self._items(path, "sources"):
            sid, title = item.get("id"), item.get("title")
            if not isinstance(sid, str) or not sid.strip() or not isinstance(title, str) or not title.strip():
                self._problem(where, str(sid)[:40], "", "a source needs an id and a title")
                continue
            self.sources[sid] = title.strip()

    def _cross_checks(self) -> None:
        core = self.core
        for qid, q in self.bank.questions.items():
            if qid in core.questions:
                self._problem(
                    q.file, qid, "id", f"the shipped bank has a question with this id ({core.questions[qid].file})"
                )
            for service in q.services:
                known = self.bank.entries.get(service) or core.entries.get(service)
                if known is None or known.kind != "service":
                    self._problem(q.file, qid, "services", f"service tag {excerpt(service)} has no lookup entry")
            self.problems.extend(size_problems(q))
        for eid, entry in self.bank.entries.items():
            if eid in core.entries:
                self._problem(
                    entry.file,
                    eid,
                    "id",
                    f"the shipped bank has a lookup entry with this id ({core.entries[eid].file})",
                )
            for rel in entry.related:
                if rel not in self.bank.entries and rel not in core.entries:
                    self._problem(entry.file, eid, "related", f"no lookup entry with id {excerpt(rel)}")


def load_pack(pack_dir: Path, core: ContentBank) -> ContentBank:
    """The pack's questions and entries, or ContentError listing every problem (file, id, field)."""
    return PackLoader(pack_dir, core).load()


def pack_problems(pack_dir: Path, core: ContentBank) -> list[Problem]:
    try:
        load_pack(pack_dir, core)
    except ContentError as exc:
        return exc.problems
    return []
