"""Discord: a discord.py client whose slash commands and buttons call the core.

Only the `guilds` intent is asked for: interactions need no privileged intents. Answer buttons are
DynamicItems whose custom_id carries the post and choice, so they keep working after a restart.
Discord lets server admins restrict a whole top-level command only, so the admin commands live in
their own `/study-admin` command (default permission Manage Server, checked again in code).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.discord.embeds import (
    leaderboard_embed,
    lookup_embed,
    question_embed,
    reveal_embed,
    stats_embed,
)
from bot.config import Settings
from bot.content import Question
from bot.core import Actor, ChannelUnavailable, StudyBot
from bot.models import Channel, Community, Post, PostResults, User
from bot.render import feedback_text, reply_text
from bot.study_commands import BoardReply, LookupReply, QuestionReply, Reply, StatsReply, run_command

log = logging.getLogger("studybot.discord")
PLATFORM = "discord"
PREFIX = "/study "
ADMIN_PREFIX = "/study-admin "
# discord.py waits out 429s but does not pace requests ahead of Discord's global limit: a thousand
# channels posting at 09:00 at once made it give up after five 429s on most of them. A few sends in
# flight at a time let its rate-limit handling keep up (bench/discord_fanout.py).
MAX_CONCURRENT_SENDS = 10

ANSWER_TEMPLATE = re.compile(r"sb:a:(?P<post>\d{1,18}):(?P<choice>[a-f])")
SELECT_TEMPLATE = re.compile(r"sb:m:(?P<post>\d{1,18})")


def adapter_of(interaction: discord.Interaction) -> DiscordAdapter:
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
            discord.SelectOption(label=c.id.upper(), value=c.id, description=c.text[:100]) for c in question.choices
        ]
        placeholder = f"{count} つ選択" if locale == "ja" else f"Choose {count}"
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"sb:m:{post_id}", min_values=count, max_values=count, options=options, placeholder=placeholder
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


JA = {
    "study": "AWS 認定試験の学習",
    "Study AWS certifications together": "AWS 認定試験をチームで学習",
    "A practice question, just for you": "自分だけの練習問題",
    "Exam (DOP, DVA, SAA) or service (dynamodb, ASG)": "試験（DOP, DVA, SAA）またはサービス（dynamodb, ASG）",
    "Look up an AWS term in the study notes": "学習ノートで AWS 用語を調べる",
    "Term, alias or abbreviation": "用語・別名・略語",
    "Rankings for this week, month or all time": "今週・今月・全期間のランキング",
    "week, month or all": "week（今週）/ month（今月）/ all（全期間）",
    "Only this channel": "このチャンネルだけ",
    "Your accuracy and streak": "自分の正答率と連続回答日数",
    "How to use studybot": "使い方",
    "studybot settings (Manage Server)": "studybot の設定（サーバー管理権限）",
    "The daily question in this channel": "このチャンネルの毎日の出題",
    "Post a question every day at this time": "毎日この時刻に出題する",
    "HH:MM, e.g. 09:00": "HH:MM（例 09:00）",
    "IANA time zone, e.g. Asia/Tokyo": "タイムゾーン（例 Asia/Tokyo）",
    "Days, e.g. mon-fri, daily": "曜日（例 mon-fri, daily）",
    "Reveal after, e.g. 8h, 90m": "正解発表までの時間（例 8h, 90m）",
    "Stop the daily question here": "このチャンネルの毎日の出題を止める",
    "Post today's question now": "今日の一問を今すぐ投稿する",
    "Bot language for this server": "このサーバーでの表示言語",
    "quiz": "クイズ",
    "lookup": "用語検索",
    "leaderboard": "ランキング",
    "stats": "成績",
}


class StudyTranslator(app_commands.Translator):
    """Japanese names and descriptions for Discord clients set to Japanese; English otherwise."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale is discord.Locale.japanese:
            return JA.get(string.message)
        return None


_ = app_commands.locale_str


class StudyCommands(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter):
        super().__init__(name="study", description=_("Study AWS certifications together"), guild_only=True)
        self.adapter = adapter

    @app_commands.command(name=_("quiz"), description=_("A practice question, just for you"))
    @app_commands.describe(filter=_("Exam (DOP, DVA, SAA) or service (dynamodb, ASG)"))
    async def quiz(self, interaction: discord.Interaction, filter: str | None = None) -> None:
        await self.adapter.run(interaction, ["quiz", *([filter] if filter else [])])

    @app_commands.command(name=_("lookup"), description=_("Look up an AWS term in the study notes"))
    @app_commands.describe(term=_("Term, alias or abbreviation"))
    async def lookup(self, interaction: discord.Interaction, term: str) -> None:
        await self.adapter.run(interaction, ["lookup", term])

    @lookup.autocomplete("term")
    async def lookup_term(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        entries = self.adapter.core.index.complete(current) if current else []
        return [app_commands.Choice(name=e.term[:100], value=e.id) for e in entries[:25]]

    @app_commands.command(name=_("leaderboard"), description=_("Rankings for this week, month or all time"))
    @app_commands.describe(period=_("week, month or all"), channel_only=_("Only this channel"))
    async def leaderboard(
        self,
        interaction: discord.Interaction,
        period: Literal["week", "month", "all"] = "week",
        channel_only: bool = False,
    ) -> None:
        await self.adapter.run(interaction, ["leaderboard", period, *(["channel"] if channel_only else [])])

    @app_commands.command(name=_("stats"), description=_("Your accuracy and streak"))
    async def stats(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, ["stats"])

    @app_commands.command(name="help", description=_("How to use studybot"))
    async def help(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, ["help"])


class DailyCommands(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter, parent: app_commands.Group):
        super().__init__(name="daily", description=_("The daily question in this channel"), parent=parent)
        self.adapter = adapter

    @app_commands.command(name="set", description=_("Post a question every day at this time"))
    @app_commands.describe(
        time=_("HH:MM, e.g. 09:00"),
        timezone=_("IANA time zone, e.g. Asia/Tokyo"),
        days=_("Days, e.g. mon-fri, daily"),
        filter=_("Exam (DOP, DVA, SAA) or service (dynamodb, ASG)"),
        reveal=_("Reveal after, e.g. 8h, 90m"),
    )
    async def set(
        self,
        interaction: discord.Interaction,
        time: str,
        timezone: str | None = None,
        days: str | None = None,
        filter: str | None = None,
        reveal: str | None = None,
    ) -> None:
        words = ["daily", "set", time, *(w for w in (timezone, days, filter) if w)]
        if reveal:
            words.append(f"reveal={reveal}")
        await self.adapter.run(interaction, words)

    @app_commands.command(name="off", description=_("Stop the daily question here"))
    async def off(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, ["daily", "off"])

    @app_commands.command(name="now", description=_("Post today's question now"))
    async def now(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, ["daily", "now"])


class AdminCommands(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter):
        super().__init__(
            name="study-admin",
            description=_("studybot settings (Manage Server)"),
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.adapter = adapter
        DailyCommands(adapter, parent=self)

    @app_commands.command(name="lang", description=_("Bot language for this server"))
    async def lang(self, interaction: discord.Interaction, language: Literal["ja", "en"]) -> None:
        await self.adapter.run(interaction, ["lang", language])


class DiscordAdapter(discord.Client):
    name = PLATFORM

    def __init__(self, bot: StudyBot, settings: Settings, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(intents=intents, **options)
        self.core = bot
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(StudyCommands(self))
        self.tree.add_command(AdminCommands(self))
        self.sync_commands = True
        self._send_slots = asyncio.Semaphore(MAX_CONCURRENT_SENDS)
        bot.register(self)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(AnswerButton, AnswerSelect)
        await self.tree.set_translator(StudyTranslator())
        if not self.sync_commands:
            return
        if self.settings.discord_guild_id:
            guild = discord.Object(id=int(self.settings.discord_guild_id))
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("commands synced to guild %s", guild.id)
        else:
            await self.tree.sync()
            log.info("commands synced globally (may take a while to show up)")

    def is_connected(self) -> bool:
        return self.is_ready() and not self.is_closed()

    # -- who is asking

    def is_admin(self, interaction: discord.Interaction) -> bool:
        """Manage Server in this channel, or named in the configuration: checked in code as well, since
        server admins can change who sees /study-admin."""
        return bool(interaction.permissions.manage_guild) or str(interaction.user.id) in self.settings.admins

    def actor(self, interaction: discord.Interaction) -> Actor:
        channel = interaction.channel
        return Actor(
            platform=PLATFORM,
            community_id=str(interaction.guild_id or f"dm-{interaction.user.id}"),
            user_id=str(interaction.user.id),
            user_name=interaction.user.display_name,
            channel_id=str(interaction.channel_id) if interaction.channel_id else None,
            channel_name=getattr(channel, "name", "") or "",
            community_name=interaction.guild.name if interaction.guild else "",
            is_admin=self.is_admin(interaction),
        )

    # -- interactions

    async def run(self, interaction: discord.Interaction, words: list[str]) -> None:
        """A slash command: deferred at once (posting the daily question can take longer than Discord's
        3 s), then answered privately."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await run_command(self.core, self.actor(interaction), words, PREFIX, ADMIN_PREFIX)
        await interaction.followup.send(ephemeral=True, **self.render(reply))

    def render(self, reply: Reply) -> dict[str, Any]:
        match reply:
            case QuestionReply(view=view):
                return {
                    "embed": question_embed(view.post, view.question, view.locale),
                    "view": question_view(view.post, view.question, view.locale),
                }
            case LookupReply(result=result, locale=locale):
                return {"embed": lookup_embed(result, locale)}
            case BoardReply(board=board):
                return {"embed": leaderboard_embed(board)}
            case StatsReply(stats=stats):
                return {"embed": stats_embed(stats)}
        return {"content": reply_text(reply)[:2000]}

    async def answer(self, interaction: discord.Interaction, post_id: int, choices: list[str]) -> None:
        """A click: stored first, then answered privately within Discord's 3 s."""
        actor = self.actor(interaction)
        feedback = await self.core.answer(actor, post_id, choices)
        timezone = (await self.core.context(actor)).community.timezone
        await interaction.response.send_message(feedback_text(feedback, timezone)[:2000], ephemeral=True)

    # -- the core posts through these

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        target = self.get_partial_messageable(int(channel.platform_id), guild_id=int(community.platform_id))
        try:
            async with self._send_slots:
                message = await target.send(
                    content=None,
                    embed=question_embed(post, question, community.locale),
                    view=question_view(post, question, community.locale),
                )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise ChannelUnavailable(f"Discord channel {channel.platform_id}: {exc.text or exc.status}") from exc
        return str(message.id)

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None:
        assert post.message_ref is not None
        target = self.get_partial_messageable(int(channel.platform_id), guild_id=int(community.platform_id))
        await target.get_partial_message(int(post.message_ref)).edit(
            embed=reveal_embed(question, results, community.locale), view=None
        )

    async def channel_lost(self, community: Community, channel: Channel, admin: User | None, reason: str) -> None:
        """Tell the admin who set the schedule, by direct message, that it stopped and why."""
        if admin is None:
            return
        text = (
            f"studybot: <#{channel.platform_id}> の毎日の出題を停止しました（投稿できません: {reason}）。"
            "権限を確認してから /study-admin daily set で再設定してください。"
            if community.locale == "ja"
            else f"studybot: the daily question in <#{channel.platform_id}> is stopped (cannot post: {reason}). "
            "Check the bot's permissions there, then /study-admin daily set again."
        )
        try:
            dm = await self.create_dm(discord.Object(id=int(admin.platform_id)))
            await dm.send(text)
        except discord.HTTPException as exc:
            log.warning("could not tell admin %s that channel %s stopped: %s", admin.platform_id, channel.id, exc)
