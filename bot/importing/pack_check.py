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
    excerpt,
)
from bot.content_style import size_problems

PACK_FILE = "pack.yaml"


class PackLoader(_Loader):
    """One pack folder, read by the bank's own pack reader (_Loader._load_pack) under the name it will
    take, then checked against the shipped bank it will sit beside."""

    unexplained_choices_allowed = True

    def __init__(self, pack_dir: Path, core: ContentBank, name: str | None = None):
        super().__init__(pack_dir, None)
        self.core = core
        self.name = name or pack_dir.name

    def _load_all(self) -> None:
        self._load_pack(self.content_dir, self.name)
        if not self.bank.questions and not self.bank.entries and not self.problems:
            self._problem(self._rel(self.content_dir), "", "", "the pack holds no questions and no lookup entries")
        self._cross_checks()

    def _cross_checks(self) -> None:
        core = self.core
        for qid, q in self.bank.questions.items():
            if qid in core.questions and core.questions[qid].pack != self.name:  # not this pack's older self
                self._problem(
                    q.file, qid, "id", f"the shipped bank has a question with this id ({core.questions[qid].file})"
                )
            for service in q.services:
                known = self.bank.entries.get(service) or core.entries.get(service)
                if known is None or known.kind != "service":
                    self._problem(q.file, qid, "services", f"service tag {excerpt(service)} has no lookup entry")
            self.problems.extend(size_problems(q))
        for eid, entry in self.bank.entries.items():
            if eid in core.entries and core.entries[eid].pack != self.name:
                self._problem(
                    entry.file,
                    eid,
                    "id",
                    f"the shipped bank has a lookup entry with this id ({core.entries[eid].file})",
                )
            for rel in entry.related:
                if rel not in self.bank.entries and rel not in core.entries:
                    self._problem(entry.file, eid, "related", f"no lookup entry with id {excerpt(rel)}")


def load_pack(pack_dir: Path, core: ContentBank, name: str | None = None) -> ContentBank:
    """The pack's questions and entries (read as pack `name`, by default its folder's), or ContentError
    listing every problem (file, id, field)."""
    return PackLoader(pack_dir, core, name).load()


def pack_problems(pack_dir: Path, core: ContentBank) -> list[Problem]:
    try:
        load_pack(pack_dir, core)
    except ContentError as exc:
        return exc.problems
    return []
