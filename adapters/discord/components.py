"""The answer buttons and the "choose two" select menu of a question message.

Both are DynamicItems: their custom_id carries the post and the choice, so a click on a message sent
before a restart still reaches the right post. A custom_id that matches neither template (an older
version's button, a forged click) is answered by the adapter as "no longer valid".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.content import Question
from bot.i18n import t
from bot.models import Post

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

ANSWER_TEMPLATE = re.compile(r"sb:a:(?P<post>\d{1,18}):(?P<choice>[a-f])")
SELECT_TEMPLATE = re.compile(r"sb:m:(?P<post>\d{1,18})")
# The review button of a reminder (a direct message, so no server in the click): its community's id.
REVIEW_TEMPLATE = re.compile(r"sb:rv:(?P<community>\d{1,18})")


def is_ours(custom_id: str) -> bool:
    return any(t.fullmatch(custom_id) for t in (ANSWER_TEMPLATE, SELECT_TEMPLATE, REVIEW_TEMPLATE))


def names_post(message: discord.Message, post: Post) -> bool:
    """Whether a message's buttons (or select) answer this post."""
    wanted = (f"sb:a:{post.id}:", f"sb:m:{post.id}")
    for row in message.components:
        for child in getattr(row, "children", ()):
            custom_id = getattr(child, "custom_id", None) or ""
            if custom_id == wanted[1] or custom_id.startswith(wanted[0]):
                return True
    return False


def adapter_of(interaction: discord.Interaction) -> DiscordAdapter:
    from adapters.discord.adapter import DiscordAdapter

    client = interaction.client
    assert isinstance(client, DiscordAdapter)
    return client


class AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ANSWER_TEMPLATE):
    def __init__(self, post_id: int, choice: str):
        super().__init__(
            discord.ui.Button(
                label=choice.upper(), style=discord.ButtonStyle.secondary, custom_id=f"sb:a:{post_id}:{choice}"
            )
        )
        self.post_id = post_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerButton:
        return cls(int(match["post"]), match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await adapter_of(interaction).answer(interaction, self.post_id, [self.choice])


class AnswerSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=SELECT_TEMPLATE):
    """A "choose two" question: a select menu that takes exactly as many choices as are correct."""

    def __init__(self, post_id: int, select: discord.ui.Select[Any]):
        super().__init__(select)
        self.post_id = post_id

    @classmethod
    def for_question(cls, post_id: int, question: Question, locale: str) -> AnswerSelect:
        count = len(question.answer)
        options = [
            discord.SelectOption(label=c.id.upper(), value=c.id, description=_clip(c.text, 100))
            for c in question.choices
        ]
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"sb:m:{post_id}",
            min_values=count,
            max_values=count,
            options=options,
            placeholder=_clip(t(locale, "post.choose_many", count=count), 150),
        )
        return cls(post_id, select)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AnswerSelect:
        assert isinstance(item, discord.ui.Select)
        return cls(int(match["post"]), item)

    async def callback(self, interaction: discord.Interaction) -> None:
        await adapter_of(interaction).answer(interaction, self.post_id, list(self.item.values))


def question_view(post: Post, question: Question, locale: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if question.multi:
        view.add_item(AnswerSelect.for_question(post.id, question, locale))
    else:
        for choice in question.choices:
            view.add_item(AnswerButton(post.id, choice.id))
    return view


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())  # a description is one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REVIEW_TEMPLATE):
    """ "Start reviewing" on a reminder: the community it names is where the reviews are."""

    def __init__(self, community_id: int, label: str = "review"):
        super().__init__(
            discord.ui.Button(
                label=_clip(label, 80), style=discord.ButtonStyle.primary, custom_id=f"sb:rv:{community_id}"
            )
        )
        self.community_id = community_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReviewButton:
        return cls(int(match["community"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await adapter_of(interaction).review_from_reminder(interaction, self.community_id)


def reminder_view(community_id: int, locale: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ReviewButton(community_id, t(locale, "reminder.button")))
    return view
