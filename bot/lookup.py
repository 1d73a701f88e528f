"""Finding a term in the study notes the way learners type it.

In order, the first step with a hit wins:
1. a name or alias, ignoring case, width, spaces, hyphens and dots ("API GW", "Code Deploy",
   "Dynamo DB", "Dead-letter queue" and "ＡＳＧ" all find their entry);
2. the same without a leading "AWS"/"Amazon" ("Amazon ECS" is "ECS", not every "Amazon ..." name);
3. a service's name followed by a term of that service ("s3 署名付き url", "SQS DLQ");
4. one typo or swap of two neighbouring letters in a name of 5 characters or more ("dynamodbb");
5. a name that starts with the query at a word boundary: a word of the name, a later word, or a run of
   one script in Japanese ("タイムアウト" in "可視性タイムアウト"), never inside a word ("IGW" is not in
   "apigw"); the names the query covers most closely come first;
and otherwise close terms are suggested, never a silent miss.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from bot.content import LookupEntry, normalize

MAX_CHOICES = 8
TYPO_MIN_LENGTH = 5
VENDOR_PREFIXES = ("aws ", "amazon ")
SEPARATORS = re.compile(r"[\s\-_.・/]+")
# A word starts after a separator, at a capital after a lower-case letter, or where the script changes.
SCRIPT = re.compile(r"[a-z]+|[0-9]+|[ァ-ヺー]+|[ぁ-ゖ]+|[一-龯々]+|.", re.IGNORECASE)


def compact(text: str) -> str:
    return SEPARATORS.sub("", normalize(text))


def word_starts(name: str) -> list[int]:
    """Where, in compact(name), a word of the name begins."""
    text = unicodedata.normalize("NFKC", name).strip()
    starts, offset = [], 0
    for part in SEPARATORS.split(text):
        pieces = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", part).split()
        for piece in pieces:
            for run in SCRIPT.findall(piece):
                starts.append(offset)
                offset += len(compact(run))
    return starts


def one_edit_apart(a: str, b: str) -> bool:
    """One letter inserted, deleted, replaced, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


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
        self._names: dict[str, list[LookupEntry]] = {}  # compact name -> entries
        self._starts: dict[str, list[int]] = {}  # compact name -> where its words begin
        for entry in entries.values():
            for name in entry.names:
                self._add(name, entry)
                # "Amazon DynamoDB" is also found as "DynamoDB".
                for prefix in VENDOR_PREFIXES:
                    if normalize(name).startswith(prefix):
                        self._add(name.strip()[len(prefix) :], entry)

    def _add(self, name: str, entry: LookupEntry) -> None:
        key = compact(name)
        if not key:
            return
        bucket = self._names.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)
        self._starts.setdefault(key, word_starts(name))

    def find(self, query: str) -> LookupResult:
        query = query.strip()
        needle = compact(query)
        if not needle:
            return LookupResult(query)
        if needle in self._names:
            return self._result(query, self._names[needle])
        # "Amazon ECS" is looked up as "ECS": the vendor prefix is not part of what the learner means,
        # and as a word of its own it would match every "Amazon ..." name.
        for prefix in VENDOR_PREFIXES:
            rest = normalize(query)[len(prefix) :] if normalize(query).startswith(prefix) else ""
            if compact(rest):
                found = self.find(rest)
                if found.entry is not None or found.choices:
                    return LookupResult(query, found.entry, found.choices, found.suggestions, found.related)
        if qualified := self._within_service(query):
            return qualified
        if len(needle) >= TYPO_MIN_LENGTH:
            typo = [
                e
                for key, es in self._names.items()
                if len(key) >= TYPO_MIN_LENGTH and one_edit_apart(needle, key)
                for e in es
            ]
            if typo:
                return self._result(query, typo)
        partial = sorted(
            (
                (len(key), e)
                for key, es in self._names.items()
                if needle in key and any(key.startswith(needle, at) for at in self._starts[key])
                for e in es
            ),
            key=lambda hit: hit[0],
        )
        if partial:
            # The name the query covers most closely comes first ("クロスアカウント" is nearer to
            # "クロスアカウントロール" than to "クロスアカウントダッシュボード").
            return self._result(query, [e for _, e in partial], ranked=True)
        close = difflib.get_close_matches(needle, list(self._names), n=MAX_CHOICES, cutoff=0.6)
        suggestions = _unique(e for key in close for e in self._names[key])
        return LookupResult(query, suggestions=tuple(suggestions[:5]))

    def _within_service(self, query: str) -> LookupResult | None:
        """ "s3 署名付き url" and "SQS DLQ": a service's name, then a term that belongs to it."""
        head, _, rest = normalize(query).partition(" ")
        services = [e for e in self._names.get(compact(head), []) if e.kind == "service"]
        if not services or not compact(rest):
            return None
        found = self.find(rest)
        hits = [e for e in ((found.entry,) if found.entry else found.choices) if e.service == services[0].id]
        return self._result(query, hits, ranked=True) if hits else None

    def complete(self, prefix: str, limit: int = 25) -> list[LookupEntry]:
        """Terms for autocomplete: names starting with the prefix first, then with a word starting so."""
        key = compact(prefix)
        starts = [e for name, es in self._names.items() if name.startswith(key) for e in es]
        inside = [
            e
            for name, es in self._names.items()
            if any(name.startswith(key, at) for at in self._starts[name])
            for e in es
        ]
        return _unique([*starts, *inside])[:limit]

    def _result(self, query: str, hits: list[LookupEntry], ranked: bool = False) -> LookupResult:
        unique = _unique(hits)
        if len(unique) == 1:
            entry = unique[0]
            related = tuple(self.entries[r] for r in entry.related if r in self.entries)
            return LookupResult(query, entry=entry, related=related)
        # A service entry beats its own features when the query names the service exactly.
        services = [e for e in unique if e.kind == "service"]
        if not ranked:
            unique.sort(key=lambda e: (e.kind != "service", e.term))
        if len(services) == 1 and compact(query) in {compact(n) for n in services[0].names}:
            return self._result(query, services)
        return LookupResult(query, choices=tuple(unique[:MAX_CHOICES]))


def _unique(entries: object) -> list[LookupEntry]:
    seen: dict[str, LookupEntry] = {}
    for e in entries:  # type: ignore[attr-defined]
        seen.setdefault(e.id, e)
    return list(seen.values())
