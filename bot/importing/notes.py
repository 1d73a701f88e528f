"""Study notes (Markdown headings and bullets, the shape teams keep their AWS notes in) as lookup
entries: a heading is a term and its bullets the summary; a top-level bullet that names a thing
(Latin letters, no sentence) and has bullets of its own is a term too ("CloudWatch Logs" under
"Amazon CloudWatch"); the parent heading is a related term. Aliases come from a parenthesised name
("Elastic Load Balancing (ELB)") and from the initials of a long English name ("Key Management
Service" → KMS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.importing.markdown_blocks import Block, parse_blocks
from bot.importing.records import ImportedLookup, ImportOptions, ParseResult
from bot.importing.registry import register
from bot.importing.text import read_text

MAX_FILE_BYTES = 5_000_000
MAX_BULLETS = 8  # a lookup answer is one chat message: a few bullets, not a page
MAX_BULLET_CHARS = 200
PAREN = re.compile(r"\s*[(（]([^()（）]+)[)）]\s*")
LATIN = re.compile(r"[A-Za-z]")
JAPANESE = re.compile(r"[ぁ-ゖァ-ヺ一-龯]")
SKIPPED_BULLETS = re.compile(r"^(参考|参考リンク|参考資料|リンク|References?|Links?)\s*[:：]?$", re.IGNORECASE)
VENDOR_WORDS = {"aws", "amazon"}
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
PLAIN_BULLET = re.compile(r"^(?P<indent>[ \t]*)[•●▪◦‣・]\s*(?P<text>.*)$", re.MULTILINE)
BARE_DOMAIN = re.compile(r"^[\w.-]+\.[a-z]{2,}(/\S*)?$")  # a link card's leftover ("docs.aws.amazon.com")


def plain_to_markdown(text: str) -> str:
    """Notes exported as plain text (headings at the margin without markers, "•" bullets indented two
    spaces per level) as Markdown, line for line so line numbers hold: a margin line followed by
    bullets is a term (##), one followed by another margin line a group (#); prose is left out."""
    lines = text.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    out = [""] * len(lines)
    for position, i in enumerate(filled):
        line = lines[i]
        if m := PLAIN_BULLET.match(line):
            depth = max(1, len(m.group("indent").expandtabs(2)) // 2)
            out[i] = "  " * (depth - 1) + "- " + m.group("text").strip()
            continue
        title = line.strip()
        if line[:1].isspace() or len(title) > 60 or "。" in title or BARE_DOMAIN.match(title):
            continue
        following = lines[filled[position + 1]] if position + 1 < len(filled) else ""
        out[i] = ("## " if PLAIN_BULLET.match(following) else "# ") + title
    return "\n".join(out)


@dataclass
class _Bullet:
    text: str
    line: int
    children: list[str] = field(default_factory=list)


@dataclass
class _Node:
    raw: str
    line: int
    level: int
    parent: _Node | None
    bullets: list[_Bullet] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # paragraphs under the heading

    @property
    def key(self) -> str:
        return f"{self.parent.key} > {self.raw}" if self.parent else self.raw


def parse(path: Path, options: ImportOptions) -> ParseResult:
    result = ParseResult()
    text, how = read_text(path, min(options.max_bytes, MAX_FILE_BYTES))
    if how != "UTF-8":
        result.notes.append(f"read as {how}")
    if not MARKDOWN_HEADING.search(text) and PLAIN_BULLET.search(text):
        text = plain_to_markdown(text)
        result.notes.append("plain-text notes: lines at the margin read as headings, • lines as bullets")
    nodes = _outline(parse_blocks(text), path, result)
    made: dict[str, ImportedLookup] = {}
    shortened = 0
    for node in nodes:
        shortened += _entries(node, path, made)
    for entry in made.values():  # a parent lists its sub-terms as related too
        for key in entry.data["related"]:
            if key in made and entry.key not in made[key].data["related"]:
                made[key].data["related"].append(entry.key)
    result.lookups = list(made.values())
    if shortened:
        result.notes.append(
            f"{shortened} bullet(s) shortened to {MAX_BULLET_CHARS} characters or {MAX_BULLETS} per term"
        )
    if not result.lookups:
        result.problem(path, "", "no headings with bullets found (# Term, then - bullets)")
    return result


def _outline(blocks: list[Block], path: Path, result: ParseResult) -> list[_Node]:
    nodes: list[_Node] = []
    stack: list[_Node] = []
    top: _Bullet | None = None
    orphans = 0
    for block in blocks:
        if block.kind == "heading":
            while stack and stack[-1].level >= block.level:
                stack.pop()
            node = _Node(block.text.strip(), block.line, block.level, stack[-1] if stack else None)
            stack.append(node)
            nodes.append(node)
            top = None
        elif not stack:
            orphans += block.kind in ("item", "para")
        elif block.kind == "item":
            text = " ".join(s.strip() for s in block.text.split("\n") if s.strip())
            if not text:
                continue
            if block.level == 1 or top is None:
                top = _Bullet(text, block.line)
                stack[-1].bullets.append(top)
            else:
                top.children.append(text)
        elif block.kind == "para":
            stack[-1].lines.extend(t for _, t in block.lines)
    if orphans:
        result.notes.append(f"{orphans} bullet(s) or paragraph(s) before the first heading left out")
    return nodes


def _entries(node: _Node, path: Path, made: dict[str, ImportedLookup]) -> int:
    """The node's entry (if it has anything to say) and its sub-term entries; returns how many bullets
    were shortened."""
    shortened = 0
    lines: list[str] = list(node.lines)
    subterms: list[_Bullet] = []
    for bullet in node.bullets:
        if SKIPPED_BULLETS.match(bullet.text):
            continue
        if bullet.children and _names_a_thing(bullet.text):
            subterms.append(bullet)
        elif bullet.children:
            lines.append(f"{bullet.text}: {' / '.join(bullet.children)}")
        else:
            lines.append(bullet.text)
    if not lines and subterms:
        lines = [" / ".join(b.text for b in subterms)]
    parent = _nearest_with_entry(node.parent, made)
    if lines:
        summary, cut = _bounded(lines)
        shortened += cut
        made[node.key] = _lookup(node.raw, summary, [parent] if parent else [], path, node.line, node.key)
    owner = node.key if lines else parent
    for bullet in subterms:
        summary, cut = _bounded(bullet.children)
        shortened += cut
        key = f"{node.key} > {bullet.text}"
        made[key] = _lookup(bullet.text, summary, [owner] if owner else [], path, bullet.line, key)
    return shortened


def _nearest_with_entry(node: _Node | None, made: dict[str, ImportedLookup]) -> str | None:
    while node is not None:
        if node.key in made:
            return node.key
        node = node.parent
    return None


def _names_a_thing(text: str) -> bool:
    return bool(LATIN.search(text)) and "。" not in text and len(text) <= 60 and not text.endswith((":", "："))


def _bounded(lines: list[str]) -> tuple[list[str], int]:
    cut = max(0, len(lines) - MAX_BULLETS)
    out = []
    for line in lines[:MAX_BULLETS]:
        if len(line) > MAX_BULLET_CHARS:
            line = line[: MAX_BULLET_CHARS - 1] + "…"
            cut += 1
        out.append(line)
    return out, cut


def term_and_aliases(raw: str) -> tuple[str, list[str]]:
    """'Elastic Load Balancing (ELB)' → ('Elastic Load Balancing', ['ELB']); a Japanese remark in
    brackets ('Resources（必須要素）') stays part of the term."""
    aliases: list[str] = []

    def take(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        if LATIN.search(inner) and not JAPANESE.search(inner):
            aliases.append(inner)
            return " "
        return m.group(0)

    term = " ".join(PAREN.sub(take, raw).split()) or raw.strip()
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", term) if w.lower() not in VENDOR_WORDS]
    # "Key Management Service" → KMS; not "CloudWatch Logs Insights" (→ "CLI", which means something else):
    # a brand word with capitals inside it is no initial.
    plain_words = all(w[0].isupper() and w[1:].islower() for w in words)
    if 3 <= len(words) <= 4 and plain_words and not JAPANESE.search(term):
        initials = "".join(w[0] for w in words)
        if initials not in aliases:
            aliases.append(initials)
    return term, [a for a in aliases if a != term]


def _lookup(raw: str, summary: list[str], related: list[str], path: Path, line: int, key: str) -> ImportedLookup:
    term, aliases = term_and_aliases(raw)
    data = {"term": term, "aliases": aliases, "summary": summary, "related": related}
    return ImportedLookup(data, path, f"line {line}", key=key)


register("notes", (), parse)
