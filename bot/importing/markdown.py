"""Practice questions in Markdown, in the shapes Japanese study repositories write them.

A question starts at a heading or a paragraph such as `### 問題 3`, `### 問題3: タイトル`,
`### Question 3`, `**問題1：…**`, or, without one, wherever a `---` section or heading section holds
lettered choices. It ends at the next question, a `---` rule or a heading at its own level or above.
Inside it, in any order the authors use:

- the prompt, possibly in `シナリオ:` / `質問:` (`Scenario:` / `Question:`) parts;
- choices `A. …`, `A) …`, `- A. …`, or plain bullets (lettered in order), a `✓`/`✅` marking the
  correct ones;
- the answer, `解答: B`, `**Answer: A, C**`, `正解：B) text`, `答え: A と C`;
- the explanation after `解説:` / `Explanation:` (or simply after the answer), with its bullets and code,
  and per-choice notes `選択肢 A: …` / `A: …` that become those choices' explanations;
- all of it possibly inside `<details><summary>…</summary> … </details>`.

The headings above a question are its topic (source.section); an exam code in them (DVA, SAA-C03)
is its exam.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content import CHOICE_IDS, EXAMS
from bot.importing.markdown_blocks import Block, parse_blocks
from bot.importing.records import ImportedQuestion, ImportOptions, ParseResult
from bot.importing.registry import register
from bot.importing.text import read_text

LETTERS = "ABCDEF"
QUESTION_HEAD = re.compile(
    r"^(?:第\s*)?(?:問題|問|設問|質問|Question|Q|No\.?)\s*[#＃]?\s*[0-9０-９]+\s*(?:問)?\s*(?:(?:[:：.．、)）\-–—]|\s)\s*(?P<title>.*))?$",
    re.IGNORECASE | re.DOTALL,
)
LABEL = r"(?:\*\*|__)?"
CHOICE = re.compile(rf"^{LABEL}[(（]?(?P<letter>[A-Fa-f])\s*(?:[.．:：)）]|\s-\s){LABEL}\s*(?P<text>.+)$", re.DOTALL)
ANSWER = re.compile(
    rf"^{LABEL}\s*(?:解答|正解|答え|回答|Answer|Correct answers?|Correct)\s*{LABEL}\s*[:：]\s*{LABEL}\s*(?P<value>.*)$",
    re.IGNORECASE | re.DOTALL,
)
EXPLANATION = re.compile(
    rf"^{LABEL}\s*(?:解説|説明|Explanation|Rationale|Why)\s*{LABEL}\s*(?:[:：]\s*{LABEL}|$)\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
PROMPT_LABEL = re.compile(
    rf"^{LABEL}\s*(?:(?:シナリオ|質問|問題文|Scenario|Question)\s*{LABEL}\s*[:：]|Q\s*[.．:：])\s*{LABEL}\s*",
    re.IGNORECASE,
)
CHOICE_NOTE = re.compile(
    rf"^{LABEL}(?:(?:選択肢|Choice|Option)\s*(?P<a>[A-Fa-f])\s*{LABEL}\s*[:：.．)）]?|(?P<b>[A-F])\s*{LABEL}\s*[:：)）])\s*{LABEL}\s*(?P<text>.+)$",
    re.DOTALL,
)
ANSWER_WORD = re.compile(
    rf"^{LABEL}\s*(?:解答|正解|答え|回答|Answer|Correct answers?)\s*{LABEL}\s*[:：]?$", re.IGNORECASE
)
MARKS = re.compile(r"\s*(?:✅|✓|✔️?|☑️?|⭕|\(正解\)|（正解）|←\s*正解)\s*")
TASK = re.compile(r"^\[(?P<x>[ xX])\]\s+")
ANSWER_LETTERS = re.compile(
    r"^[(（]?([A-Fa-f](?:\s*(?:[,、，/&・]|と|and|及び|および)?\s*[A-Fa-f](?![A-Za-z]))*)[)）]?(?![A-Za-z])"
)
COUNT = re.compile(
    r"([0-9０-９]|二|三|two|three)\s*(?:つ|個)?\s*(?:を)?\s*(?:選|choose|select)|(?:choose|select)\s+(two|three|[23])",
    re.IGNORECASE,
)
NUMBER_WORDS = {"二": 2, "三": 3, "two": 2, "three": 3}
EXAM_CODE = re.compile(r"(?<![A-Za-z])(DOP|DVA|SAA|SOA)(?:[-_ ]?C0\d)?(?![A-Za-z])", re.IGNORECASE)
MAX_FILE_BYTES = 5_000_000  # a practice-question file is text someone wrote; anything bigger is not one


@dataclass
class _Question:
    line: int
    title: str = ""
    topic: str = ""
    exam: str | None = None
    prompt: list[str] = field(default_factory=list)
    choices: list[list[Any]] = field(default_factory=list)  # [letter, text, marked, line]
    choice_notes: dict[str, list[str]] = field(default_factory=dict)
    answer: list[str] | None = None
    answer_text: str = ""
    answer_line: int = 0
    explanation: list[str] = field(default_factory=list)
    state: str = "prompt"  # prompt | choices | answer | explanation
    note_for: tuple[str, int] | None = None  # the choice a note's continuation belongs to, and its depth
    from_bullets: bool = False


def parse(path: Path, options: ImportOptions) -> ParseResult:
    result = ParseResult()
    text, how = read_text(path, min(options.max_bytes, MAX_FILE_BYTES))
    if how != "UTF-8":
        result.notes.append(f"read as {how}")
    blocks = parse_blocks(text)
    for q in _questions(blocks):
        _finish(q, path, result)
    if not result.questions and not result.problems:
        result.problem(path, "", "no practice questions found (### 問題 1 / ### Question 1, A. … choices, 解答: B)")
    return result


def _questions(blocks: list[Block]) -> list[_Question]:
    """Split the blocks into question candidates, keeping the heading stack for topics."""
    found: list[_Question] = []
    headings: list[tuple[int, str]] = []
    current: _Question | None = None
    level = 99  # the level of the heading that opened the current question
    details = 0
    loose: _Question | None = None  # a section without a question heading: a question if it has choices

    def close() -> None:
        nonlocal current, loose
        if current is not None:
            found.append(current)
        if (
            loose is not None
            and len(loose.choices) >= 2
            and loose.prompt
            and (not loose.from_bullets or loose.answer is not None or any(c[2] for c in loose.choices))
        ):
            found.append(loose)
        current = loose = None

    def topic() -> tuple[str, str | None]:
        names = [t for _, t in headings]
        exam = next((_exam(m.group(1)) for t in reversed(names) if (m := EXAM_CODE.search(t))), None)
        return (names[-1] if names else ""), exam

    for index, block in enumerate(blocks):
        if block.kind == "details_open":
            details += 1
            if current is not None and block.summary and ANSWER.match(block.summary):
                _line(current, block.summary, block.line, 0)
            continue
        if block.kind == "details_close":
            details = max(0, details - 1)
            continue
        head = _question_head(block)
        if head is not None:
            close()
            t, exam = topic()
            current = _Question(block.line, title=head, topic=t, exam=exam)
            level = block.level if block.kind == "heading" else 99
            if block.kind == "para":
                rest = block.lines[1:]
                if rest and head:  # "**問題1：…**" with the question's text under it in one paragraph
                    current.prompt.append(head)
                    current.title = ""
                for n, line in rest:
                    _line(current, line, n, 0)
            continue
        if block.kind == "rule" and not details:
            close()
            continue
        if block.kind == "heading":
            inside = current is not None and (block.level > level or _is_part_label(block.text))
            if inside:
                _line(current, block.text, block.line, 0)  # type: ignore[arg-type]
                continue
            close()
            headings = [(lvl, t) for lvl, t in headings if lvl < block.level] + [(block.level, block.text)]
            continue
        target = current
        if target is None and loose is not None and _next_question_starts(loose, block, blocks[index + 1 : index + 2]):
            close()  # a run of questions without openers or rules: a new one after the last answer
        if target is None:
            if loose is None:
                t, exam = topic()
                loose = _Question(block.line, topic=t, exam=exam)
            target = loose
        _block(target, block)
    close()
    return found


ASKS = re.compile(r"([？?]|ですか。?|ますか。?|ください。?|どれか。?|選べ。?)\s*$")


def _next_question_starts(q: _Question, block: Block, following: list[Block]) -> bool:
    """After a question's answer, a paragraph that asks something and is followed by an "A" choice is
    the next question (files that run questions together with no heading or --- between them)."""
    if q.state not in ("answer", "explanation") or block.kind != "para" or not following or not block.lines:
        return False
    if not ASKS.search(block.lines[-1][1]):
        return False
    nxt = following[0]
    first = (nxt.text.split("\n")[0] if nxt.kind == "item" else nxt.lines[0][1] if nxt.lines else "").strip()
    m = CHOICE.match(TASK.sub("", _plain(first)))
    return bool(m and m.group("letter").upper() == "A")


def _is_part_label(text: str) -> bool:
    return bool(
        ANSWER.match(text)
        or EXPLANATION.match(text)
        or re.fullmatch(r"(解答|解説|正解|答え|Answer|Explanation)", text.strip(), re.IGNORECASE)
    )


def _question_head(block: Block) -> str | None:
    """The title (possibly "") if the block opens a question, else None."""
    if block.kind == "heading":
        m = QUESTION_HEAD.match(block.text.strip()) or QUESTION_HEAD.match(_plain(block.text))
        return (m.group("title") or "").strip() if m else None
    if block.kind == "para" and block.lines:
        first = block.lines[0][1].replace("**", "").strip()
        m = QUESTION_HEAD.match(first) or QUESTION_HEAD.match(_plain(first))
        if m:
            return (m.group("title") or "").strip()
    return None


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _exam(prefix: str) -> str | None:
    return next((e for e in EXAMS if e.startswith(prefix.upper())), None)


def _block(q: _Question, block: Block) -> None:
    if block.kind == "para":
        for n, line in block.lines:
            _line(q, line, n, 0)
        _paragraph_break(q)
    elif block.kind == "item":
        _item(q, block)
    elif block.kind == "code":
        fenced = f"```\n{block.text}\n```"
        (q.explanation if q.state in ("answer", "explanation") else q.prompt).append(fenced)


def _paragraph_break(q: _Question) -> None:
    for part in (q.prompt, q.explanation):
        if part and part[-1] != "":
            part.append("")
    q.note_for = None


def _item(q: _Question, block: Block) -> None:
    lines = block.text.split("\n")
    first, rest = lines[0].strip(), [s.strip() for s in lines[1:] if s.strip()]
    if q.state == "await_answer":
        _line(q, first, block.line, block.level)
        return
    if q.state in ("prompt", "choices") and block.level == 1:
        text = first
        marked = False
        if m := TASK.match(text):
            marked, text = m.group("x") != " ", text[m.end() :]
        if m := CHOICE.match(text) or CHOICE.match(_plain(text)):
            _add_choice(q, m.group("letter").upper(), m.group("text"), block.line, marked, lettered=True)
            return
        if (q.prompt or q.title or q.choices) and (q.from_bullets or not q.choices):
            # plain bullets after the prompt are the choices, lettered in order (unless lettered ones follow)
            q.from_bullets = True
            _add_choice(q, LETTERS[len(q.choices)] if len(q.choices) < 6 else "?", text, block.line, marked)
            return
    if q.state == "explanation" or q.state == "answer":
        m = CHOICE_NOTE.match(first) or CHOICE.match(first)
        if m and (letter := _note_letter(m)):
            q.choice_notes.setdefault(letter, []).append(" ".join([m.group("text").strip(), *rest]))
            q.note_for = (letter, block.level)
            q.state = "explanation"
            return
        if q.note_for and block.level > q.note_for[1]:
            q.choice_notes[q.note_for[0]].append(" ".join([first, *rest]))
            return
        q.note_for = None
    for n, line in enumerate([first, *rest]):
        if n == 0 and (ANSWER.match(line) or EXPLANATION.match(line)):
            _line(q, line, block.line, block.level)
            continue
        bullet = "  " * (block.level - 1) + "- " + line if n == 0 else "  " * block.level + line
        (q.explanation if q.state in ("answer", "explanation") else q.prompt).append(bullet)
        if q.state == "answer":
            q.state = "explanation"


def _note_letter(m: re.Match[str]) -> str | None:
    groups = m.groupdict()
    letter = groups.get("letter") or groups.get("a") or groups.get("b")
    return letter.upper() if letter else None


def _add_choice(q: _Question, letter: str, text: str, line: int, marked: bool, lettered: bool = False) -> None:
    if lettered and q.from_bullets:
        # the bullets before were part of the prompt (a list of requirements), not choices
        q.prompt += [f"- {c[1]}" for c in q.choices] + [""]
        q.choices, q.from_bullets = [], False
    text = text.strip()
    if MARKS.search(text):
        marked = True
        text = MARKS.sub(" ", text).strip()
    q.choices.append([letter, text, marked, line])
    q.state = "choices"


def _line(q: _Question, line: str, n: int, depth: int) -> None:
    """One line of a paragraph (or a heading or summary inside the question)."""
    plain = _plain(line) if q.state != "explanation" else line
    if q.state == "await_answer":  # "#### 正解" then "B" on its own line
        q.state = "answer"
        if ANSWER_LETTERS.match(_plain(line)):
            line = f"解答: {line}"
    elif ANSWER_WORD.match(_plain(line)):
        q.state, q.answer_line = "await_answer", n
        return
    if m := ANSWER.match(line.strip()) or ANSWER.match(_plain(line)):
        q.answer_line = n
        value = m.group("value").strip().replace("**", "").strip()
        letters = ANSWER_LETTERS.match(_plain(value))
        if letters:
            q.answer = sorted({c.upper() for c in re.findall(r"[A-Fa-f]", letters.group(1))})
            trailing = value[letters.end() :].strip(" .．:：)）-")
        else:
            q.answer, trailing = [], ""
            q.answer_text = value
        q.state = "answer"
        if trailing and re.search(r"\w", trailing) and not any(_same(trailing, c[1]) for c in q.choices):
            q.explanation.append(trailing)
        return
    if m := EXPLANATION.match(_plain(line)):
        q.state = "explanation"
        rest = m.group("rest").strip()
        if rest:
            _explanation_line(q, rest)
        return
    if q.state in ("answer", "explanation"):
        _explanation_line(q, line)
        return
    if m := CHOICE.match(plain):
        _add_choice(q, m.group("letter").upper(), m.group("text"), n, False, lettered=True)
        return
    text = PROMPT_LABEL.sub("", line).strip()
    if text:
        q.prompt.append(text)


def _explanation_line(q: _Question, line: str) -> None:
    q.state = "explanation"
    m = CHOICE_NOTE.match(line)
    if m and (m.group("a") or m.group("b")):
        letter = (m.group("a") or m.group("b")).upper()
        q.choice_notes.setdefault(letter, []).append(m.group("text").strip())
        q.note_for = (letter, 0)
        return
    q.explanation.append(line.replace("**", ""))


def _same(a: str, b: str) -> bool:
    return " ".join(_plain(a).casefold().split()) == " ".join(_plain(b).casefold().split())


def _finish(q: _Question, path: Path, result: ParseResult) -> None:
    """Check one candidate and add it as a question, or report why not (at its first line)."""
    place = f"line {q.line}"
    prompt = _join(q.prompt)
    if not prompt and q.title:  # "### Q1: …は？": the heading is the question, not its topic
        prompt, q.title = q.title, ""
    if not prompt:
        result.problem(path, place, "no question text")
        return
    if not q.choices:
        result.problem(path, place, "no choices (A. …, A) …, - A. … or a bulleted list)")
        return
    letters = [c[0] for c in q.choices]
    if len(q.choices) > len(CHOICE_IDS) or letters != list(LETTERS[: len(letters)]):
        result.problem(path, place, f"choices must be A, B, C … in order, at most 6 (found {', '.join(letters)})")
        return
    if len(q.choices) < 2:
        result.problem(path, place, "needs at least 2 choices")
        return
    marked = [c[0] for c in q.choices if c[2]]
    answer = q.answer
    if answer == [] and q.answer_text:
        answer = [c[0] for c in q.choices if _same(c[1], q.answer_text)]
        if not answer:
            result.problem(path, f"line {q.answer_line}", f"the answer {q.answer_text[:40]!r} names no choice")
            return
    if answer is None or not answer:
        if not marked:
            result.problem(path, place, "no answer found (解答: B, **Answer: A, C**, or ✓ on the correct choices)")
            return
        answer = marked
    elif marked and sorted(marked) != answer:
        result.problem(
            path, place, f"the ✓ marks ({', '.join(marked)}) and the answer line ({', '.join(answer)}) disagree"
        )
        return
    missing = [a for a in answer if a not in letters]
    if missing:
        result.problem(
            path,
            f"line {q.answer_line or q.line}",
            f"answer {', '.join(missing)} is not among the choices {letters[0]}-{letters[-1]}",
        )
        return
    expected = _expected_count(prompt)
    if expected and expected != len(answer):
        result.problem(path, place, f"the question asks for {expected} choices but the answer names {len(answer)}")
        return
    explanation = _join(q.explanation)
    if not explanation:
        result.problem(path, place, "no explanation (解説: …); the bank needs one for the reveal")
        return
    choices = [
        {"id": letter.lower(), "text": text, "explanation": " ".join(q.choice_notes.get(letter, []))}
        for letter, text, _marked, _line in q.choices
    ]
    data: dict[str, Any] = {
        "prompt": prompt,
        "choices": choices,
        "answer": [a.lower() for a in answer],
        "explanation": explanation,
        "source": {"section": q.title or q.topic or path.stem},
    }
    if q.exam:
        data["exams"] = [q.exam]
    result.questions.append(ImportedQuestion(data, path, place))


def _join(parts: list[str]) -> str:
    text = "\n".join(parts).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


def _expected_count(prompt: str) -> int | None:
    m = COUNT.search(_plain(prompt))
    if not m:
        return None
    word = (m.group(1) or m.group(2) or "").lower()
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    value = int(unicodedata.normalize("NFKC", word)) if word.isdigit() else None
    return value if value and value >= 2 else None


register("markdown", (".md", ".markdown"), parse)
