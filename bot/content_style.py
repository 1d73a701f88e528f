"""The house style of the question bank (content/FORMAT.md), checked: warnings from `studybot content
check`, which a test keeps at zero for the shipped bank, and the sizes past which a platform would cut
or refuse a post, which are errors.

Chat shows text as written, so a line break in mid-sentence stays one; the exams write です/ます and
state the number of answers once; one spelling per term (content/glossary.yaml) keeps lookups and
reading consistent; an explanation that names a choice by its letter is wrong once choices are shuffled.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.content import ContentBank, LookupEntry, Problem, Question
from bot.packs import CORE

JAPANESE = r"[ぁ-ゖァ-ヺー一-龯々]"
# A break that ends a line which does not end a sentence, a list item or a heading, followed by more text.
MID_SENTENCE_BREAK = re.compile(r"[^。！？：:」）)\n]\n(?![\n・\-*0-9①-⑳])")
HALF_WIDTH_BRACKET = re.compile(rf"{JAPANESE}[()]|[()]{JAPANESE}")
LATIN_TOUCHING_JAPANESE = re.compile(rf"[A-Za-z0-9]{JAPANESE}|{JAPANESE}[A-Za-z0-9]")
POLITE_QUESTION = re.compile(r"(ですか|ますか|でしょうか|ください|どれですか)[。？?]?\s*$")
COUNT_IN_PROMPT = re.compile(r"([0-9０-９二三]+)\s*つ(を)?選")
FORMER_NAME = re.compile(r"旧\s*[^（）、。]*")  # "（旧 Kinesis Data Firehose）" names the old spelling on purpose
# "選択肢 B", "A は誤り", "B と C"; not a name that ends in a letter ("アカウント B の", "チーム A").
LETTER_REFERENCE = re.compile(
    r"選択肢\s*[A-FＡ-Ｆa-f]\b|(?<![A-Za-z])(?<![ァ-ヺー一-龯])(?<![ァ-ヺー一-龯]\s)[A-F](?:\s*[はとの、,]|\s*(?:と|および))"
)

# What a platform refuses or cuts (the adapters' limits, written once here for authors):
PROMPT_LIMIT = 2000  # with its choices it must fit a Slack section (3,000) and a Discord description (4,096)
CHOICE_LIMIT = 300  # each choice's text; a reveal field name is 256 with the mark and count
MULTI_CHOICE_LIMIT = 100  # a "choose two" choice is also a Discord select option's description (100)
EXPLANATION_LIMIT = 1000  # a reveal field value is 1,024 (Discord); a Slack section 3,000
POST_LIMIT = 2900  # prompt and all choices, as posted in one Slack section


def load_glossary(content_dir: Path) -> dict[str, str]:
    """variant -> the spelling to use, from content/glossary.yaml ({term: [variants]})."""
    path = content_dir / "glossary.yaml"
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {variant: term for term, variants in data.items() for variant in variants or []}


def size_problems(question: Question) -> list[Problem]:
    """Errors: a post, reveal or select option that a platform would refuse or cut."""
    found = []

    def over(field: str, text: str, limit: int) -> None:
        if len(text) > limit:
            found.append(Problem(question.file, question.id, field, f"{len(text)} characters; at most {limit}"))

    over("prompt", question.prompt, PROMPT_LIMIT)
    over("explanation", question.explanation, EXPLANATION_LIMIT)
    for c in question.choices:
        over(f"choices.{c.id}.text", c.text, MULTI_CHOICE_LIMIT if question.multi else CHOICE_LIMIT)
        over(f"choices.{c.id}.explanation", c.explanation, EXPLANATION_LIMIT)
    over("prompt and choices", question.prompt + "".join(c.text for c in question.choices), POST_LIMIT)
    return found


def text_warnings(text: str, glossary: dict[str, str]) -> list[str]:
    """The rules every text of the bank follows, questions and lookup entries alike."""
    found = []
    text = text.strip()
    if MID_SENTENCE_BREAK.search(text):
        found.append("a line break in mid-sentence (chat shows it as is); use a folded scalar (>-)")
    if m := HALF_WIDTH_BRACKET.search(text):
        found.append(f"half-width bracket beside Japanese ({m[0]!r}); use （）")
    if m := LATIN_TOUCHING_JAPANESE.search(text):
        found.append(f"no space between Latin and Japanese ({m[0]!r}); write one half-width space")
    for variant, term in glossary.items():
        # "パラメータ" inside "パラメーター" is no variant, nor is a former name ("旧 Kinesis Data Firehose").
        if variant in FORMER_NAME.sub("", text.replace(term, "")):
            found.append(f"{variant!r}: the glossary spells it {term!r}")
    return found


def style_warnings(question: Question, glossary: dict[str, str]) -> list[Problem]:
    found = []

    def warn(field: str, message: str) -> None:
        found.append(Problem(question.file, question.id, field, message))

    texts = [("prompt", question.prompt), ("explanation", question.explanation)]
    texts += [(f"choices.{c.id}.text", c.text) for c in question.choices]
    texts += [(f"choices.{c.id}.explanation", c.explanation) for c in question.choices]
    for field, text in texts:
        for message in text_warnings(text, glossary):
            warn(field, message)
    if not POLITE_QUESTION.search(question.prompt.strip()):
        warn("prompt", "the question is not asked in です/ます (…ですか。/…ください。)")
    counts = COUNT_IN_PROMPT.findall(question.prompt)
    if question.multi and len(counts) != 1:
        warn("prompt", f"a multi-select prompt states the number of answers once ({len(counts)} found)")
    for field, text in texts[1:]:
        if "explanation" in field and LETTER_REFERENCE.search(text):
            warn(field, "names a choice by its letter; the letters change when the choices are shuffled")
    return found


def check_style(bank: ContentBank, content_dir: Path) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) over the whole bank. The size errors hold for every pack (they are what the
    platforms show uncut); the house style is the shipped bank's, not that of a team's imported pack."""
    glossary = load_glossary(content_dir)
    errors = [p for q in bank.questions.values() for p in size_problems(q)]
    warnings = [p for q in bank.questions.values() if q.pack == CORE for p in style_warnings(q, glossary)]
    warnings += [p for e in bank.entries.values() if e.pack == CORE for p in lookup_style_warnings(e, glossary)]
    return errors, warnings


# Lookup entries follow the same house style: their summary bullets are shown as they are written.
SENTENCE_END = re.compile(r"(です|ます|ません|ました|でした|ください)(（[^（）]*(（[^（）]*）[^（）]*)*）)*。$")


def lookup_style_warnings(entry: LookupEntry, glossary: dict[str, str]) -> list[Problem]:
    """Warnings for a lookup entry's term and summary (its aliases are variants on purpose)."""
    found = []

    def warn(field: str, message: str) -> None:
        found.append(Problem(entry.file, entry.id, field, message))

    texts = [("term", entry.term)] + [(f"summary[{i}]", line) for i, line in enumerate(entry.summary)]
    for field, text in texts:
        if "\n" in text.strip():
            warn(field, "a line break inside a bullet (chat shows it as is); write it on one line")
        for message in text_warnings(text.replace("\n", " "), glossary):
            warn(field, message)
    for index, line in enumerate(entry.summary):
        sentences = [s for s in re.split(r"(?<=。)", line.strip()) if s.strip()]
        if not sentences or any(not SENTENCE_END.search(s.strip()) for s in sentences):
            warn(f"summary[{index}]", "every sentence ends in です/ます and 。")
    return found
