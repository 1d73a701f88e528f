"""`studybot content tidy`: the mechanical part of the house style (content/FORMAT.md), applied to the
YAML text itself so comments, order and quoting stay as the author wrote them.

Three rules are mechanical and safe to apply by program: full-width （） in Japanese text, one
half-width space between a Latin word or number and Japanese, and no line break in mid-sentence.
Everything else (です/ます, the glossary, the wording) needs an author. A tidied file is written only
if it loads to the same texts, compared with spaces and bracket widths ignored: the tidy cannot change
what a question says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.content import ContentBank, ContentError, Problem, content_files, load_content
from bot.content_style import JAPANESE

JA = re.compile(JAPANESE)
LATIN_THEN_JA = re.compile(rf"([A-Za-z0-9])({JAPANESE})")
JA_THEN_LATIN = re.compile(rf"({JAPANESE})([A-Za-z0-9])")
BLOCK_START = re.compile(r"^(\s*)(?:- )?[A-Za-z_][\w.-]*:\s*([|>])[-+]?\s*(#.*)?$")
# A line that ends a sentence, an item or a heading: the next line starts a new one.
ENDS_SENTENCE = re.compile(r"[。！？：:」）)]\s*$")
STARTS_ITEM = re.compile(r"^\s*([・\-*]|[0-9]+[.)]|[①-⑳])")


@dataclass
class TidyResult:
    path: Path
    changed_lines: int


def tidy_text(text: str) -> str:
    """Tidy one text (a line or a whole value)."""
    if not JA.search(text):
        return text
    text = _full_width_brackets(text)
    text = LATIN_THEN_JA.sub(r"\1 \2", text)
    return JA_THEN_LATIN.sub(r"\1 \2", text)


def _full_width_brackets(text: str) -> str:
    """Half-width pairs that touch or hold Japanese become （）; code such as f(x) stays as it is."""
    chars = list(text)
    stack: list[int] = []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            start = stack.pop()
            inside = text[start + 1 : i]
            before = text[start - 1] if start > 0 else ""
            after = text[i + 1] if i + 1 < len(text) else ""
            if JA.search(inside) or JA.match(before or " ") or JA.match(after or " "):
                chars[start], chars[i] = "（", "）"
    return "".join(chars)


def tidy_yaml(source: str) -> str:
    """Tidy the text of one content file: block scalars are joined where a line breaks a sentence, and
    every line holding Japanese gets the bracket and spacing rules."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(tidy_text(line) if not line.lstrip().startswith("#") else line)
        start = BLOCK_START.match(line)
        i += 1
        if not start:
            continue
        indent = len(start.group(1))
        block: list[str] = []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            block.append(lines[i])
            i += 1
        trailing = []
        while block and not block[-1].strip():  # blank lines after the block belong to what follows
            trailing.append(block.pop())
        out.extend(tidy_text(b) for b in _join_broken_sentences(block))
        out.extend(trailing)
    return "\n".join(out)


def _join_broken_sentences(block: list[str]) -> list[str]:
    joined: list[str] = []
    for line in block:
        prev = joined[-1] if joined else ""
        if (
            prev.strip()
            and line.strip()
            and not ENDS_SENTENCE.search(prev)
            and not STARTS_ITEM.match(line)
            and not STARTS_ITEM.match(prev)
        ):
            left, right = prev.rstrip(), line.strip()
            glue = " " if (left[-1].isascii() and right[0].isascii()) else ""
            joined[-1] = left + glue + right
        else:
            joined.append(line)
    return joined


def _meaning(bank: ContentBank) -> dict[str, str]:
    """Every text of the bank with spaces and bracket widths ignored: what the tidy must not change."""

    def flat(text: str) -> str:
        return re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")")

    texts: dict[str, str] = {}
    for q in bank.questions.values():
        texts[f"{q.id}.prompt"] = flat(q.prompt)
        texts[f"{q.id}.explanation"] = flat(q.explanation)
        for c in q.choices:
            texts[f"{q.id}.{c.id}"] = flat(c.text) + "|" + flat(c.explanation)
    for e in bank.entries.values():
        texts[f"{e.id}.entry"] = flat(e.term) + "|" + "|".join(flat(s) for s in e.summary)
    return texts


def tidy_content(content_dir: Path, write: bool = True) -> list[TidyResult]:
    """Tidy every content file; raise ContentError when the result would not mean the same."""
    before = _meaning(load_content(content_dir))
    paths = [*content_files(content_dir / "questions"), *content_files(content_dir / "lookup")]
    originals = {p: p.read_text(encoding="utf-8") for p in paths}
    tidied = {p: tidy_yaml(text) for p, text in originals.items()}
    results = [
        TidyResult(p, sum(a != b for a, b in zip(originals[p].split("\n"), tidied[p].split("\n"), strict=False)))
        for p in paths
        if tidied[p] != originals[p]
    ]
    if not write or not results:
        return results
    for p, text in tidied.items():
        p.write_text(text, encoding="utf-8")
    try:
        after = _meaning(load_content(content_dir))
        changed = sorted(k for k in before if before[k] != after.get(k))
        if changed:
            shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
            message = f"tidying would change the text of {len(changed)} field(s): {shown}; nothing written"
            raise ContentError([Problem(str(content_dir), "", "", message)])
    except ContentError:
        for p, text in originals.items():
            p.write_text(text, encoding="utf-8")
        raise
    return results
