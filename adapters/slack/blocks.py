"""Block Kit layouts for studybot's results. Buttons carry their post and choice in their action ids,
so they keep working after a restart with nothing kept in memory."""

from __future__ import annotations

import re
from typing import Any

from bot.content import Question
from bot.core import Leaderboard
from bot.i18n import percent, t
from bot.lookup import LookupResult
from bot.models import Post, PostKind, PostResults
from bot.render import choice_label, labels, leaderboard_text, lookup_text, stats_text
from bot.stats import UserStats

Block = dict[str, Any]
TEXT_LIMIT = 3000  # Slack's limit for one section's text

ANSWER_ACTION = re.compile(r"^sb:a:(?P<post>\d{1,18}):(?P<choice>[a-f])$")
PICK_ACTION = re.compile(r"^sb:pick:(?P<post>\d{1,18})$")
SUBMIT_ACTION = re.compile(r"^sb:submit:(?P<post>\d{1,18})$")
LOOKUP_ACTION = re.compile(r"^sb:lookup:(?P<entry>[a-z0-9-]{1,60})$")


def section(text: str) -> Block:
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:TEXT_LIMIT]}]}


def question_blocks(post: Post, question: Question, locale: str) -> list[Block]:
    title_key = "post.daily_title" if post.kind == PostKind.DAILY else "post.practice_title"
    prompt = question.prompt.strip()
    blocks = [
        section(f"*{t(locale, title_key, exams=', '.join(question.exams))}*"),
        section(prompt),
        section("\n".join(f"*{choice_label(c.id)}.* {c.text}" for c in question.choices)),
    ]
    if question.multi:
        options = [
            {"text": {"type": "plain_text", "text": choice_label(c.id)}, "value": c.id} for c in question.choices
        ]
        blocks.append(
            {
                "type": "actions",
                "block_id": f"sb:q:{post.id}",
                "elements": [
                    {"type": "checkboxes", "action_id": f"sb:pick:{post.id}", "options": options},
                    {
                        "type": "button",
                        "action_id": f"sb:submit:{post.id}",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "回答する" if locale == "ja" else "Submit"},
                    },
                ],
            }
        )
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"sb:q:{post.id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"sb:a:{post.id}:{c.id}",
                        "value": c.id,
                        "text": {"type": "plain_text", "text": choice_label(c.id)},
                    }
                    for c in question.choices
                ],
            }
        )
    return blocks


def reveal_blocks(question: Question, results: PostResults, locale: str) -> list[Block]:
    if results.answered:
        summary = t(
            locale, "reveal.results", answered=results.answered, share=percent(results.correct, results.answered)
        )
    else:
        summary = t(locale, "reveal.no_answers")
    blocks = [
        section(f"*{t(locale, 'reveal.title', answer=labels(question.answer))}*　{summary}"),
        section(question.prompt.strip()),
    ]
    for c in question.choices:
        mark = "⭕" if c.id in question.answer else "❌"
        count = results.by_choice.get(c.id, 0)
        blocks.append(section(f"{mark} *{choice_label(c.id)}. {c.text}*（{count}）\n{c.explanation}"))
    blocks.append(section(f"*{t(locale, 'reveal.explanation')}*\n{question.explanation.strip()}"))
    blocks.append(
        context(
            t(
                locale,
                "reveal.source",
                title=question.source.title or question.source.seed,
                section=question.source.section,
            )
        )
    )
    return blocks


def lookup_blocks(result: LookupResult, locale: str) -> list[Block]:
    blocks = [section(lookup_text(result, locale))]
    if result.choices:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"sb:lookup:{e.id}",
                        "text": {"type": "plain_text", "text": e.term[:75]},
                    }
                    for e in result.choices
                ],
            }
        )
    return blocks


def leaderboard_blocks(board: Leaderboard) -> list[Block]:
    title, *rows = leaderboard_text(board).split("\n")
    return [section(f"*{title}*"), section("\n".join(rows))]


def stats_blocks(stats: UserStats) -> list[Block]:
    title, *rest = stats_text(stats).split("\n")
    return [section(f"*{title}*"), section("\n".join(rest))]
