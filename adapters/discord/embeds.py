"""Discord embeds for studybot's results, within Discord's size limits."""

from __future__ import annotations

import math

import discord

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

COLOR = discord.Colour(0xFF9900)
EMBED_TOTAL = 6000  # docs/resources/message.mdx, "Embed Limits"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def question_embed(
    post: Post, question: Question, locale: str, timezone: str | None = None, review: ReviewPick | None = None
) -> discord.Embed:
    prompt = question.prompt.strip()
    choices = "\n".join(f"**{choice_label(c.id)}.** {c.text}" for c in question.choices)
    embed = discord.Embed(
        title=clip(question_title(post, question, locale, review), 256),
        description=clip(f"{prompt}\n\n{choices}", 4096),
        colour=COLOR,
    )
    closing = closing_text(post, timezone, locale) if timezone else review_note(review, locale)
    if closing:
        embed.set_footer(text=closing)  # when the daily question stops taking answers, with its time zone
    return embed


def reveal_embed(question: Question, results: PostResults, locale: str) -> discord.Embed:
    if results.answered:
        summary = t(
            locale, "reveal.results", answered=results.answered, share=percent(results.correct, results.answered)
        )
    else:
        summary = t(locale, "reveal.no_answers")
    embed = discord.Embed(
        title=clip(t(locale, "reveal.title", answer=labels(question.answer)), 256),
        description=clip(f"{summary}\n\n{question.prompt.strip()}", 4096),
        colour=discord.Colour.green(),
    )
    for c in question.choices:
        mark = "⭕" if c.id in question.answer else "❌"
        count = results.by_choice.get(c.id, 0)
        embed.add_field(
            name=clip(f"{mark} {choice_label(c.id)}. {c.text}（{count}）", 256),
            value=clip(c.explanation, 1024) or "-",  # a field value may not be empty
            inline=False,
        )
    embed.add_field(
        name=t(locale, "reveal.explanation"), value=clip(question.explanation.strip(), 1024) or "-", inline=False
    )
    embed.set_footer(
        text=t(
            locale,
            "reveal.source",
            title=question.source.title or question.source.seed,
            section=question.source.section,
        )
    )
    return within_total(embed)


def within_total(embed: discord.Embed) -> discord.Embed:
    """Discord refuses a message whose embeds hold more than 6000 characters in all (title, description,
    field names and values, footer, author). The description gives way first, down to its opening
    lines; then every field value by the same share."""
    excess = len(embed) - EMBED_TOTAL
    if excess > 0 and embed.description:
        keep = max(len(embed.description) - excess, min(len(embed.description), 300))
        embed.description = clip(embed.description, keep)
        excess = len(embed) - EMBED_TOTAL
    values = sum(len(f.value or "") for f in embed.fields)
    if excess > 0 and values:
        for i, f in enumerate(embed.fields):
            value = f.value or ""
            cut = math.ceil(excess * len(value) / values) + 1
            embed.set_field_at(i, name=f.name, value=clip(value, max(len(value) - cut, 1)), inline=bool(f.inline))
    return embed


def text_embed(text: str) -> discord.Embed:
    title, _, rest = text.partition("\n")
    return discord.Embed(title=clip(title, 256), description=clip(rest, 4096) or None, colour=COLOR)


def lookup_embed(result: LookupResult, locale: str) -> discord.Embed:
    return text_embed(lookup_text(result, locale))


def inert(name: str) -> str:
    """A user's display name as plain text in Discord markdown: no formatting, no mention."""
    return discord.utils.escape_markdown(discord.utils.escape_mentions(name))


def leaderboard_embed(board: Leaderboard) -> discord.Embed:
    return text_embed(leaderboard_text(board, inert))


def stats_embed(stats: UserStats) -> discord.Embed:
    return text_embed(stats_text(stats, inert))
