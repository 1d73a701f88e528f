"""Service tags for imported material, recognised from the names of the bank's service entries: a
practice question about DynamoDB names DynamoDB, and the bank already knows every spelling of it
(terms and aliases, with or without "AWS"/"Amazon")."""

from __future__ import annotations

import re
from collections import Counter

from bot.content import ContentBank

MAX_TAGS = 3
VENDOR = re.compile(r"^(AWS|Amazon)\s+", re.IGNORECASE)


class ServiceIndex:
    def __init__(self, bank: ContentBank):
        names: dict[str, str] = {}
        for entry in bank.entries.values():
            if entry.kind != "service":
                continue
            for name in (entry.term, *entry.aliases):
                for variant in (name.strip(), VENDOR.sub("", name.strip())):
                    if len(variant) >= 2:
                        names.setdefault(variant, entry.id)
        self.tag_of = {self._key(n): tag for n, tag in names.items()}
        # Longest names first, so "EC2 Auto Scaling" wins over "EC2" where both start.
        ordered = sorted(names, key=len, reverse=True)
        alternatives = [self._pattern(n) for n in ordered]
        self.pattern = re.compile("|".join(alternatives)) if alternatives else None
        # One alternation of 600+ names costs milliseconds per prompt (5,000 prompts: 17 s). Only names whose
        # folded text occurs in the folded prompt can match, so each text is searched with those alone, in
        # the same longest-first order: the same matches, in about a tenth of a millisecond.
        self._folded = [(n.casefold(), alternatives[i]) for i, n in enumerate(ordered)]
        self._subsets: dict[tuple[str, ...], re.Pattern[str]] = {}

    @staticmethod
    def _key(name: str) -> str:
        return name.casefold()

    @staticmethod
    def _pattern(name: str) -> str:
        escaped = re.escape(name)
        if re.search(r"[A-Za-z0-9]", name):
            escaped = rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
        # An upper-case abbreviation (SQS, ELB) only as written; a longer name in any case.
        return escaped if name.isupper() or len(name) <= 3 else f"(?i:{escaped})"

    def tags_in(self, text: str) -> Counter[str]:
        found: Counter[str] = Counter()
        folded = text.casefold()
        present = tuple(alternative for name, alternative in self._folded if name in folded)
        if not present:
            return found
        pattern = self._subsets.get(present)
        if pattern is None:
            pattern = self._subsets[present] = re.compile("|".join(present))
        for m in pattern.finditer(text):
            tag = self.tag_of.get(self._key(m.group(0)))
            if tag:
                found[tag] += 1
        return found

    def known(self, tag: str) -> bool:
        return tag in self.tag_of.values()

    def infer(self, topic: str, prompt: str, answers: str) -> list[str]:
        """The services a question is about: named in its topic or prompt (the topic counting most),
        else in its correct choices; at most MAX_TAGS, the primary first."""
        score = self.tags_in(prompt)
        for tag, n in self.tags_in(topic).items():
            score[tag] += 10 * n
        if not score:
            score = self.tags_in(answers)
        return [tag for tag, _ in score.most_common(MAX_TAGS)]
