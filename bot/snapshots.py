"""The question as it was posted, kept with the post.

The content is edited while posts are open: an answer key corrected, a choice reworded, a question
removed. A post is scored and revealed with the version its members saw, so an edit never scores one
post both ways nor makes the reveal contradict its own counts. A few hundred bytes of JSON per post.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace

from bot.content import Choice, Question, Source

LETTERS = "abcdef"


def shuffled(question: Question, seed: str) -> Question:
    """The question with its choices in an order drawn from `seed` and lettered again a, b, c... in that
    order: the position of the answer teaches nothing, and everyone who sees one post sees one order.
    The post keeps this version, so its buttons still map after a restart."""
    if not question.shuffle:
        return question
    order = list(question.choices)
    random.Random(f"{seed}:{question.id}").shuffle(order)
    renamed = {c.id: LETTERS[i] for i, c in enumerate(order)}
    return replace(
        question,
        choices=tuple(replace(c, id=renamed[c.id]) for c in order),
        answer=frozenset(renamed[a] for a in question.answer),
    )


def dump_question(question: Question) -> str:
    return json.dumps(
        {
            "id": question.id,
            "lang": question.lang,
            "exams": list(question.exams),
            "services": list(question.services),
            "difficulty": question.difficulty,
            "prompt": question.prompt,
            "choices": [{"id": c.id, "text": c.text, "explanation": c.explanation} for c in question.choices],
            "answer": sorted(question.answer),
            "explanation": question.explanation,
            "source": {
                "seed": question.source.seed,
                "section": question.source.section,
                "title": question.source.title,
            },
            "shuffle": question.shuffle,
            "choice_explanations": question.choice_explanations,
        },
        ensure_ascii=False,
    )


def load_question(text: str) -> Question:
    data = json.loads(text)
    return Question(
        id=data["id"],
        lang=data["lang"],
        exams=tuple(data["exams"]),
        services=tuple(data["services"]),
        difficulty=int(data["difficulty"]),
        prompt=data["prompt"],
        choices=tuple(Choice(c["id"], c["text"], c["explanation"]) for c in data["choices"]),
        answer=frozenset(data["answer"]),
        explanation=data["explanation"],
        source=Source(data["source"]["seed"], data["source"]["section"], data["source"].get("title", "")),
        shuffle=data.get("shuffle", True),
        choice_explanations=data.get("choice_explanations", True),
    )
