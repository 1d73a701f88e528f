"""Block Kit layouts for studybot's results. Buttons carry their post and choice in their action ids,
so they keep working after a restart with nothing kept in memory.

Text from content and from people goes into plain_text sections, escaped: Slack then reads no markup in
it (a choice holding `*`, `_`, a backtick or a line break shows as written), and no mention or link. The
bot's own markup (bold titles, the letter of a choice) is mrkdwn around escaped text.
"""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.escape import chunks, escape, fit
from bot.content import Question
from bot.core import Leaderboard
from bot.i18n import percent, t
from bot.lookup import LookupResult
from bot.models import Post, PostResults
from bot.render import (
    choice_label,
    closing_text,
    labels,
    leaderboard_text,
    lookup_text,
    question_title,
    review_note,
    stats_text,
)
from bot.reviews import ReviewPick
from bot.stats import UserStats

Block = dict[str, Any]
TEXT_LIMIT = 3000  # https://docs.slack.dev/reference/block-kit/blocks/section-block: text up to 3,000
BUTTON_TEXT = 75  # https://docs.slack.dev/reference/block-kit/block-elements/button-element
PREFIX = "/study "

ANSWER_ACTION = re.compile(r"^sb:a:(?P<post>\d{1,18}):(?P<choice>[a-f])$")
PICK_ACTION = re.compile(r"^sb:pick:(?P<post>\d{1,18})$")
SUBMIT_ACTION = re.compile(r"^sb:submit:(?P<post>\d{1,18})$")
LOOKUP_ACTION = re.compile(r"^sb:lookup:(?P<entry>[a-z0-9-]{1,60})$")


def markup(text: str) -> Block:
    """A mrkdwn section of the bot's own markup: `text` is escaped already where it holds anything else."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, TEXT_LIMIT)}}


def bold(text: str) -> str:
    """Bold one line of plain text (bold does not span lines in Slack)."""
    return f"*{escape(' '.join(text.split()))}*"


def plain(text: str) -> list[Block]:
    """Plain text, escaped, in as many sections as it needs: nothing in it is read as markup."""
    return [
        {"type": "section", "text": {"type": "plain_text", "text": piece, "emoji": False}}
        for piece in chunks(escape(text.strip() or "-"), TEXT_LIMIT)
    ]


def section(text: str) -> Block:
    """One plain-text section (cut to fit): for short texts of the bot's own."""
    return {"type": "section", "text": {"type": "plain_text", "text": fit(escape(text), TEXT_LIMIT), "emoji": False}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "plain_text", "text": fit(escape(text), TEXT_LIMIT)}]}


def question_blocks(
    post: Post, question: Question, locale: str, timezone: str | None = None, review: ReviewPick | None = None
) -> list[Block]:
    blocks = [markup(bold(question_title(post, question, locale, review)))]
    closing = closing_text(post, timezone, locale) if timezone else review_note(review, locale)
    if closing:
        blocks.append(context(closing))
    blocks += plain(question.prompt)
    blocks += plain("\n".join(f"{choice_label(c.id)}. {c.text.strip()}" for c in question.choices))
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
    """The correct choice is marked by a ✅ and its letter in bold on a line of its own; the choice text
    itself is plain text, so it survives line breaks and any markup character."""
    if results.answered:
        summary = t(
            locale, "reveal.results", answered=results.answered, share=percent(results.correct, results.answered)
        )
    else:
        summary = t(locale, "reveal.no_answers")
    blocks = [markup(f"{bold(t(locale, 'reveal.title', answer=labels(question.answer)))}　{escape(summary)}")]
    blocks += plain(question.prompt)
    for c in question.choices:
        mark = "✅" if c.id in question.answer else "❌"
        count = results.by_choice.get(c.id, 0)
        blocks.append(markup(f"{mark} *{choice_label(c.id)}*　（{count}）"))
        blocks += plain(f"{c.text.strip()}\n{c.explanation.strip()}")
    blocks.append(markup(bold(t(locale, "reveal.explanation"))))
    blocks += plain(question.explanation)
    source = t(
        locale, "reveal.source", title=question.source.title or question.source.seed, section=question.source.section
    )
    blocks.append(context(source))
    return blocks


def lookup_blocks(result: LookupResult, locale: str) -> list[Block]:
    blocks = plain(lookup_text(result, locale, PREFIX))
    if result.choices:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"sb:lookup:{e.id}",
                        "text": {"type": "plain_text", "text": fit(escape(e.term), BUTTON_TEXT)},
                    }
                    for e in result.choices[:25]  # an actions block holds 25 elements
                ],
            }
        )
    return blocks


def leaderboard_blocks(board: Leaderboard) -> list[Block]:
    title, *rows = leaderboard_text(board).split("\n")
    return [markup(bold(title)), *plain("\n".join(rows))]


def stats_blocks(stats: UserStats) -> list[Block]:
    title, *rest = stats_text(stats).split("\n")
    return [markup(bold(title)), *plain("\n".join(rest))]
