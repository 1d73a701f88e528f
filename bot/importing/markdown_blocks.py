"""A Markdown file as a flat list of blocks with their line numbers, from markdown-it-py's token
stream: headings, paragraphs (split into their lines), list items (with their depth), code, rules and
the <details>/<summary> wrappers that practice-question files hide answers in. The question parser
then walks blocks, not raw lines, so a `-` inside a code fence or a `#` inside a paragraph is never
taken for structure."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.importing.text import html_to_text

DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.IGNORECASE)
DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary\s*>", re.IGNORECASE | re.DOTALL)
BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
DROPPED_OPEN = re.compile(r"<(script|style|iframe|object|embed|template|noscript)\b", re.IGNORECASE)
DROPPED_CLOSE = re.compile(r"</(script|style|iframe|object|embed|template|noscript)\s*>", re.IGNORECASE)
MAX_DEPTH = 8  # <details> inside <details> ...: a file nesting deeper is not a practice-question file

_md = MarkdownIt("commonmark", {"html": True}).enable("table")


@dataclass
class Block:
    kind: str  # heading | para | item | code | rule | details_open | details_close
    line: int  # 1-based line of the block's start
    text: str = ""
    level: int = 0  # heading level; list depth (1 = top level) for items
    lines: list[tuple[int, str]] = field(default_factory=list)  # a paragraph's lines
    ordered: bool = False  # an item of a numbered list
    summary: str = ""  # a details_open's <summary> text


def inline_text(token: Token) -> str:
    """Plain text of an inline token: emphasis and links dropped to their text, <br> and breaks as line
    breaks, inline HTML tags removed, and what sits between <script>…</script> dropped."""
    out: list[str] = []
    dropping = 0
    for child in token.children or []:
        kind = child.type
        if kind == "html_inline":
            tag = child.content
            if BR.fullmatch(tag.strip()):
                out.append("\n")
            elif DROPPED_OPEN.match(tag):
                dropping += 1
            elif DROPPED_CLOSE.match(tag):
                dropping = max(0, dropping - 1)
            continue
        if dropping:
            continue
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind == "hardbreak" or (kind == "softbreak" and not (out and out[-1] == "\n")):
            out.append("\n")
        elif kind == "image":
            out.append(child.content)
    return "".join(out)


def parse_blocks(text: str, offset: int = 0, depth: int = 0) -> list[Block]:
    """The blocks of `text`; `offset` is the line number of its first line minus one (for HTML blocks
    whose inside is Markdown again)."""
    tokens = _md.parse(text)
    blocks: list[Block] = []
    list_depth = 0
    ordered_stack: list[bool] = []
    item: Block | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        line = offset + (tok.map[0] if tok.map else 0) + 1
        kind = tok.type
        if kind == "heading_open":
            blocks.append(Block("heading", line, inline_text(tokens[i + 1]).strip(), level=int(tok.tag[1])))
            i += 3
            continue
        if kind in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
            ordered_stack.append(kind == "ordered_list_open")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
            ordered_stack.pop()
            item = None
        elif kind == "list_item_open":
            item = Block("item", line, "", level=list_depth, ordered=ordered_stack[-1])
            blocks.append(item)
        elif kind == "list_item_close":
            item = None
        elif kind == "paragraph_open":
            inline = tokens[i + 1]
            content = inline_text(inline)
            if item is not None:
                item.text = f"{item.text}\n{content}" if item.text else content
            else:
                start = offset + (inline.map[0] if inline.map else 0) + 1
                lines = [(start + n, part.strip()) for n, part in enumerate(content.split("\n"))]
                blocks.append(Block("para", line, content, lines=[(n, t) for n, t in lines if t]))
            i += 3
            continue
        elif kind in ("fence", "code_block"):
            blocks.append(Block("code", line, tok.content.rstrip("\n"), lines=[]))
        elif kind == "hr":
            blocks.append(Block("rule", line))
        elif kind == "html_block":
            blocks.extend(_html_block(tok.content, line, depth))
        elif kind == "tr_open":
            cells = []
            j = i + 1
            while tokens[j].type != "tr_close":
                if tokens[j].type == "inline":
                    cells.append(inline_text(tokens[j]).strip())
                j += 1
            blocks.append(Block("para", line, " | ".join(cells), lines=[(line, " | ".join(cells))]))
            i = j
        i += 1
    return blocks


def _html_block(raw: str, line: int, depth: int) -> list[Block]:
    """<details>, <summary> and </details> become markers; what is between them is Markdown again
    (when the author left no blank line after <summary>, it sits in the same HTML block); any other
    HTML becomes its text, scripts and styles dropped."""
    out: list[Block] = []
    rest = raw
    pos_line = line
    pattern = re.compile(
        rf"{DETAILS_OPEN.pattern}\s*(?:{SUMMARY.pattern})?|{DETAILS_CLOSE.pattern}", re.IGNORECASE | re.DOTALL
    )
    last = 0
    for m in pattern.finditer(rest):
        out.extend(_inner(rest[last : m.start()], pos_line + rest.count("\n", 0, last), depth))
        at = pos_line + rest.count("\n", 0, m.start())
        if DETAILS_CLOSE.fullmatch(m.group(0)):
            out.append(Block("details_close", at))
        else:
            summary = html_to_text(m.group(1) or "") if m.lastindex else ""
            out.append(Block("details_open", at, summary=summary))
        last = m.end()
    out.extend(_inner(rest[last:], pos_line + rest.count("\n", 0, last), depth))
    return out


def _inner(text: str, line: int, depth: int) -> list[Block]:
    if not text.strip():
        return []
    if re.search(r"<[A-Za-z/!]", text):  # other HTML: its text only
        plain = html_to_text(BR.sub("\n", text))
        lines = [(line + n, part.strip()) for n, part in enumerate(plain.split("\n")) if part.strip()]
        return [Block("para", line, plain, lines=lines)] if lines else []
    if depth >= MAX_DEPTH:
        return []
    return parse_blocks(text, line - 1, depth + 1)
