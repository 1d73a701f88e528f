"""Finding a term in the study notes: exact, then normalized, then partial; never a silent miss."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from bot.content import LookupEntry, normalize

MAX_CHOICES = 8


@dataclass(frozen=True)
class LookupResult:
    query: str
    entry: LookupEntry | None = None  # the one match
    choices: tuple[LookupEntry, ...] = ()  # several matches: let the user pick
    suggestions: tuple[LookupEntry, ...] = ()  # no match: close terms
    related: tuple[LookupEntry, ...] = field(default=())


class LookupIndex:
    def __init__(self, entries: dict[str, LookupEntry]):
        self.entries = entries
        self._exact: dict[str, list[LookupEntry]] = {}
        self._normalized: dict[str, list[LookupEntry]] = {}
        for entry in entries.values():
            for name in entry.names:
                _add(self._exact, name.strip(), entry)
                _add(self._normalized, normalize(name), entry)
                # "Amazon DynamoDB" is also found as "DynamoDB".
                for prefix in ("aws ", "amazon "):
                    if normalize(name).startswith(prefix):
                        _add(self._normalized, normalize(name)[len(prefix) :], entry)

    def find(self, query: str) -> LookupResult:
        query = query.strip()
        for hits in (self._exact.get(query), self._normalized.get(normalize(query))):
            if hits:
                return self._result(query, hits)
        needle = normalize(query).replace(" ", "")
        if not needle:
            return LookupResult(query)
        partial = [
            entry for key, entries in self._normalized.items() if needle in key.replace(" ", "") for entry in entries
        ]
        if partial:
            return self._result(query, partial)
        close = difflib.get_close_matches(normalize(query), list(self._normalized), n=MAX_CHOICES, cutoff=0.6)
        suggestions = _unique(e for key in close for e in self._normalized[key])
        return LookupResult(query, suggestions=tuple(suggestions[:5]))

    def complete(self, prefix: str, limit: int = 25) -> list[LookupEntry]:
        """Terms for autocomplete: names starting with the prefix first, then containing it."""
        key = normalize(prefix)
        starts = [e for name, es in self._normalized.items() if name.startswith(key) for e in es]
        contains = [e for name, es in self._normalized.items() if key in name for e in es]
        return _unique([*starts, *contains])[:limit]

    def _result(self, query: str, hits: list[LookupEntry]) -> LookupResult:
        unique = _unique(hits)
        if len(unique) == 1:
            entry = unique[0]
            related = tuple(self.entries[r] for r in entry.related if r in self.entries)
            return LookupResult(query, entry=entry, related=related)
        # A service entry beats its own features when the query names the service exactly.
        services = [e for e in unique if e.kind == "service"]
        unique.sort(key=lambda e: (e.kind != "service", e.term))
        if len(services) == 1 and normalize(query) in {normalize(n) for n in services[0].names}:
            return self._result(query, services)
        return LookupResult(query, choices=tuple(unique[:MAX_CHOICES]))


def _add(index: dict[str, list[LookupEntry]], key: str, entry: LookupEntry) -> None:
    bucket = index.setdefault(key, [])
    if entry not in bucket:
        bucket.append(entry)


def _unique(entries: object) -> list[LookupEntry]:
    seen: dict[str, LookupEntry] = {}
    for e in entries:  # type: ignore[attr-defined]
        seen.setdefault(e.id, e)
    return list(seen.values())
