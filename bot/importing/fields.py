"""Named fields (CSV columns, Anki note fields) mapped to a question or a lookup entry in the bank's YAML shape.

One mapping for every tabular format, so a CSV column called `Choice A`, an Anki field called `選択肢A` and
studybot's own export all land in the same place. A record with choices is a question; one with only a
front and a back is a lookup entry (term and summary); anything else is reported, never guessed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.content import CHOICE_IDS, EXAMS

# One field of a question (a prompt is at most 2,000 characters in the bank); longer is not a question.
MAX_FIELD_CHARS = 20_000

_LETTERS = CHOICE_IDS  # "abcdef"
_EXAM_BY_PREFIX = {e.split("-")[0]: e for e in EXAMS}  # "DOP" -> "DOP-C02"

# Normalised column name -> role. Names are compared after NFKC, casefolding and turning spaces and
# hyphens into underscores, so "Choice A", "choice-a" and "ＣＨＯＩＣＥ＿Ａ" are one name.
_ROLES = {
    **dict.fromkeys(("prompt", "question", "問題", "問題文", "質問", "設問"), "prompt"),
    **dict.fromkeys(("answer", "answers", "correct", "correct_answer", "解答", "正解", "答え"), "answer"),
    **dict.fromkeys(("explanation", "解説", "extra", "extra_1", "back_extra", "rationale"), "explanation"),
    **dict.fromkeys(("exam", "exams", "試験"), "exam"),
    **dict.fromkeys(("services", "service", "サービス"), "services"),
    **dict.fromkeys(("front", "term", "表", "用語"), "front"),
    **dict.fromkeys(("back", "definition", "summary", "裏", "意味", "説明"), "back"),
    **dict.fromkeys(("tags", "タグ"), "tags"),
    **dict.fromkeys(("topic", "section", "category", "トピック", "分野", "カテゴリ"), "section"),
    "id": "id",
    "studybot_id": "id",
    "difficulty": "difficulty",
    "難易度": "difficulty",
    "lang": "lang",
    "shuffle": "shuffle",
    "language": "lang",
}
_CHOICE = re.compile(r"^(?:choice|option|選択肢|q)_?([a-f1-6])$")
_CHOICE_WHY = re.compile(
    r"^(?:(?:explanation|解説|why)_?([a-f1-6])|(?:choice|option|選択肢)_?([a-f1-6])_(?:explanation|解説))$"
)
_SPLIT = re.compile(r"[\s,、，;；/・]+")
_ANSWER_PREFIX = re.compile(r"^(?:answer|answers|correct|解答|正解|答え)\s*[:：]?\s*", re.I)
_LETTER_LIST = re.compile(r"^[a-f](?:\s*(?:[,、，/&・]|and|と)?\s*[a-f])*$")
_NUMBER_LIST = re.compile(r"^[1-6](?:\s*[,、，/&・\s]\s*[1-6])*$")
_LETTER_THEN_TEXT = re.compile(r"^\(?([a-f])[).．:：]\s*\S")


def column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", name).casefold().strip())


@functools.lru_cache(maxsize=1024)  # a few column names, asked once per row or note
def role(name: str) -> tuple[str, str] | None:
    """What a column or field is for: ("prompt", ""), ("choice", "b"), ("choice_explanation", "b") ...;
    None for a column we do not use."""
    key = column_key(name)
    if key in _ROLES:
        return _ROLES[key], ""
    if len(key) == 1 and key in _LETTERS:
        return "choice", key
    if m := _CHOICE.match(key):
        return "choice", _letter(m.group(1))
    if m := _CHOICE_WHY.match(key):
        return "choice_explanation", _letter(m.group(1) or m.group(2))
    return None


def _letter(token: str) -> str:
    return _LETTERS[int(token) - 1] if token.isdigit() else token


@dataclass
class Record:
    """One row or note by role, before it is judged a question or a lookup entry."""

    values: dict[str, str] = field(default_factory=dict)  # role -> text ("prompt", "answer", ...)
    choices: dict[str, str] = field(default_factory=dict)  # letter as written -> text
    reasons: dict[str, str] = field(default_factory=dict)  # letter -> the choice's explanation
    tags: list[str] = field(default_factory=list)

    def put(self, place: tuple[str, str], text: str) -> None:
        kind, letter = place
        if kind == "choice":
            self.choices[letter] = text
        elif kind == "choice_explanation":
            self.reasons[letter] = text
        elif kind == "tags":
            self.tags.extend(t for t in text.split() if t)
        else:
            self.values[kind] = text


class Unmappable(ValueError):
    """This record cannot become a question or an entry; the message says why."""


def to_content(record: Record) -> tuple[str, dict[str, Any]]:
    """("question", dict) or ("lookup", dict) in the bank's YAML shape; raises Unmappable otherwise."""
    for text in (*record.values.values(), *record.choices.values(), *record.reasons.values()):
        if len(text) > MAX_FIELD_CHARS:
            raise Unmappable(f"a field has {len(text):,} characters (at most {MAX_FIELD_CHARS:,})")
    choices = {k: v for k, v in record.choices.items() if v.strip()}
    if choices:
        return "question", _question(record, choices)
    if record.choices:
        raise Unmappable("every choice is empty")
    front = record.values.get("front") or record.values.get("prompt", "")
    back = record.values.get("back") or record.values.get("answer") or record.values.get("explanation", "")
    if front.strip() and back.strip():
        if _LETTER_LIST.match(back.strip().casefold()):
            raise Unmappable("its back is only a letter: give the choices fields of their own (Choice A, Choice B …)")
        return "lookup", _lookup(front, back)
    if front.strip():
        raise Unmappable("it has a front but no back, and no choices")
    raise Unmappable("no question or front text")


def _question(record: Record, choices: dict[str, str]) -> dict[str, Any]:
    prompt = record.values.get("prompt") or record.values.get("front", "")
    if not prompt.strip():
        raise Unmappable("the prompt is empty")
    written = sorted(choices, key=_LETTERS.index)  # letters as the source wrote them, gaps included
    if len(written) > len(_LETTERS):
        raise Unmappable(f"{len(written)} choices; at most {len(_LETTERS)}")
    relettered = {old: _LETTERS[i] for i, old in enumerate(written)}
    raw_answer = record.values.get("answer", "")
    if not raw_answer.strip():
        raise Unmappable("no answer")
    answer = parse_answer(raw_answer, [(k, choices[k]) for k in written])
    missing = [a for a in answer if a not in relettered]
    if missing:
        raise Unmappable(f"the answer names choice {missing[0].upper()}, which is empty or missing")
    question: dict[str, Any] = {
        "prompt": prompt.strip(),
        "choices": [_choice(relettered[old], choices[old], record.reasons.get(old, "")) for old in written],
        "answer": sorted(relettered[a] for a in answer),
        "explanation": record.values.get("explanation", record.values.get("back", "")).strip(),
    }
    exams = parse_exams(record.values.get("exam", ""))
    exams += [e for e in parse_exams(" ".join(record.tags), only_known=True) if e not in exams]
    if exams:
        question["exams"] = exams
    services = [s for s in _SPLIT.split(unicodedata.normalize("NFKC", record.values.get("services", ""))) if s]
    if services:
        question["services"] = [s.casefold() for s in services]
    if record.values.get("lang", "").strip():
        question["lang"] = record.values["lang"].strip()
    if column_key(record.values.get("shuffle", "")) in ("false", "no", "0", "いいえ"):
        question["shuffle"] = False  # the choices keep their order ("none of the above" stays last)
    if record.values.get("section", "").strip():
        question["source"] = {"section": record.values["section"].strip()}
    if record.values.get("difficulty", "").strip():
        level = unicodedata.normalize("NFKC", record.values["difficulty"]).strip()
        question["difficulty"] = int(level) if level.isdigit() else level
    return question


def _choice(letter: str, text: str, why: str) -> dict[str, str]:
    return {"id": letter, "text": text.strip(), "explanation": why.strip()}


def _lookup(front: str, back: str) -> dict[str, Any]:
    term = front.strip().split("\n")[0].strip()
    bullets = [re.sub(r"^(?:[-*•・]|\d+[.)])\s*", "", line).strip() for line in back.split("\n")]
    return {"term": term, "summary": [b for b in bullets if b]}


def parse_answer(value: str, choices: list[tuple[str, str]]) -> list[str]:
    """The letters (as the source wrote them) an answer field names: "B", "A, C", "AC", "2", "1,3",
    "1 0 0 1" (one flag per choice), "B) the choice's text", or the text of the right choice(s)."""
    text = _ANSWER_PREFIX.sub("", unicodedata.normalize("NFKC", value).strip()).strip()
    low = text.casefold().strip("()[]「」 ")
    letters = [k for k, _ in choices]
    flags = low.split()
    if len(flags) == len(choices) > 1 and set(flags) <= {"0", "1"} and "1" in flags:
        return [letters[i] for i, f in enumerate(flags) if f == "1"]
    plain = _plain(text)
    for k, t in choices:  # the text of a choice, even one that reads like letters ("AC" as a choice)
        if len(t) <= 2 * len(plain) + 4 and _plain(t) == plain:  # (a cheap length test first: 5,000 rows)
            return [k]
    if _LETTER_LIST.match(low) or (re.fullmatch(r"[a-f]{1,6}", low) and len(set(low)) == len(low)):
        found = re.findall(r"[a-f]", low.replace("and", ""))
        return _unique(found)
    if _NUMBER_LIST.match(low):
        return _unique([_LETTERS[int(d) - 1] for d in re.findall(r"[1-6]", low)])
    if m := _LETTER_THEN_TEXT.match(low):
        return [m.group(1)]
    by_text = {_plain(t): k for k, t in choices}
    lines = [_plain(line) for line in text.split("\n") if line.strip()]
    if lines and all(line in by_text for line in lines):
        return _unique([by_text[line] for line in lines])
    shown = text if len(text) <= 40 else text[:39] + "…"
    raise Unmappable(f"the answer {shown!r} names no choice (write letters such as B or A, C)")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def parse_exams(value: str, only_known: bool = False) -> list[str]:
    """Exam codes written any way ("dop-c02", "DOP", "SAA-C03, DVA"); with only_known, other words (tags
    such as "aws" or "leech") are skipped instead of kept for the checker to report."""
    found: list[str] = []
    for token in _SPLIT.split(unicodedata.normalize("NFKC", value).replace("::", " ").upper()):
        exam = token if token in EXAMS else _EXAM_BY_PREFIX.get(token)
        if exam is None and (only_known or not token):
            continue
        code = exam or token
        if code not in found:
            found.append(code)
    return found


def duplicate_key(kind: str, content: dict[str, Any]) -> tuple[str, ...]:
    """Two records with this same key are the same question (or entry) written twice in one file."""
    if kind == "question":
        return (kind, _plain(content["prompt"]), *sorted(_plain(c["text"]) for c in content["choices"]))
    return (kind, _plain(content["term"]))
