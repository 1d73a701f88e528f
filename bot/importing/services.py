"""Service tags for imported material, recognised from the names of the bank's service entries: a
practice question about DynamoDB names DynamoDB, and the bank already knows every spelling of it
(terms and aliases, with or without "AWS"/"Amazon")."""

from __future__ import annotations

import re
from collections import Counter

from bot.content import ContentBank

MAX_TAGS = 3
VENDOR = re.compile(r"^(AWS|Amazon)\s+", re.IGNORECASE)


WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")
KATAKANA = re.compile(r"[ァ-ヺー]")
MAX_WORDS = 5  # the longest service name in words ("Amazon Kinesis Data Firehose" without vendor: 3)


class ServiceIndex:
    """Names are looked up word by word, not with one big alternation: a regex of a few hundred names
    tried at every position cost milliseconds per question, seconds on an import of thousands."""

    def __init__(self, bank: ContentBank):
        self.exact: dict[str, str] = {}  # "SQS", "Config": one plain word, only as written
        self.folded: dict[str, str] = {}  # "dynamodb", "route 53": distinctive or several words, any case
        japanese: dict[str, str] = {}  # "キュー" -> sqs: found inside Japanese text
        for entry in bank.entries.values():
            if entry.kind != "service":
                continue
            for name in (entry.term, *entry.aliases):
                for variant in (name.strip(), VENDOR.sub("", name.strip())):
                    if len(variant) < 2:
                        continue
                    words = WORD.findall(variant)
                    if not words or " ".join(words) != " ".join(variant.split()):
                        japanese.setdefault(variant, entry.id)
                    elif len(words) == 1 and not re.search(r"[a-z][A-Z]|[0-9]", variant):
                        # "SQS", "Config", "Lambda": only as written, so "config file" is not AWS Config
                        self.exact.setdefault(variant, entry.id)
                    else:
                        self.folded.setdefault(" ".join(words).casefold(), entry.id)
        self.tags = {*self.exact.values(), *self.folded.values(), *japanese.values()}
        self.japanese = sorted(japanese, key=len, reverse=True)  # longest first: it wins where names overlap
        self.japanese_tag = japanese

    def tags_in(self, text: str) -> Counter[str]:
        """How often each service is named: the longest name wins where names overlap ("EC2 Auto
        Scaling" is not also EC2)."""
        found: Counter[str] = Counter()
        words = [m.group(0).rstrip(".-") for m in WORD.finditer(text)]
        i = 0
        while i < len(words):
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                phrase = " ".join(words[i : i + n])
                tag = self.exact.get(phrase) or self.folded.get(phrase.casefold())
                if tag:
                    found[tag] += 1
                    i += n
                    break
            else:
                i += 1
        taken: list[tuple[int, int]] = []
        for name in self.japanese:  # a substring test per name: far cheaper than a regex of all of them
            start = text.find(name)
            while start != -1:
                end = start + len(name)
                # A katakana name is a whole katakana word: "グルー" is not inside "グループ".
                whole = not (KATAKANA.match(text, start - 1) if start else False) and not KATAKANA.match(text, end)
                if whole and not any(a < end and start < b for a, b in taken):
                    taken.append((start, end))
                    found[self.japanese_tag[name]] += 1
                start = text.find(name, end)
        return found

    def known(self, tag: str) -> bool:
        return tag in self.tags

    def infer(self, topic: str, prompt: str, answers: str) -> list[str]:
        """The services a question is about: named in its topic or prompt (the topic counting most),
        else in its correct choices; at most MAX_TAGS, the primary first."""
        score = self.tags_in(prompt)
        for tag, n in self.tags_in(topic).items():
            score[tag] += 10 * n
        if not score:
            score = self.tags_in(answers)
        return [tag for tag, _ in score.most_common(MAX_TAGS)]
