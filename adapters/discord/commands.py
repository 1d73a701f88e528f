"""The slash commands as Discord shows them: /study for everyone, /study-admin for Manage Server.

Discord refuses a whole command upload if one name breaks its rules (docs/interactions/
application-commands.mdx, "Application Command Naming": 1-32 letters, digits, `-`, `_`, lowercase
where a letter has a lowercase form, no spaces), and this applies to every localized name too. So
every name, English or Japanese, is a single lowercase word, and tests/test_discord_commands.py puts
the exact upload through the fake's copy of those rules. Discord lets servers restrict whole
top-level commands only, hence /study-admin beside /study.

Options are typed and go to the core as typed values (StudyCommands), never re-parsed as text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands import daily_spec
from bot.config import known_timezones
from bot.memory import MAX_RETENTION, MIN_RETENTION
from bot.study_commands import Reply, StudyCommands

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

_ = app_commands.locale_str

# Every string Discord shows for the commands, in Japanese. Keys are the English names,
# descriptions and choice names; a test checks that each one has its translation.
JA = {
    # names
    "study": "学習",
    "study-admin": "学習管理",
    "quiz": "クイズ",
    "lookup": "用語検索",
    "leaderboard": "ランキング",
    "stats": "成績",
    "help": "ヘルプ",
    "daily": "毎日の出題",
    "set": "設定",
    "off": "停止",
    "now": "今すぐ投稿",
    "lang": "表示言語",
    "filter": "絞り込み",
    "term": "用語",
    "period": "期間",
    "channel_only": "このチャンネルのみ",
    "time": "時刻",
    "timezone": "タイムゾーン",
    "days": "曜日",
    "reveal": "正解発表まで",
    "language": "言語",
    "review": "復習",
    "retention": "目標正答率",
    "value": "値",
    # descriptions
    "Study AWS certifications together": "AWS 認定試験をチームで学習",
    "studybot settings (Manage Server)": "studybot の設定（サーバー管理権限）",
    "A practice question, just for you": "自分だけの練習問題",
    "Exam (DOP, DVA, SAA) or service (dynamodb, ASG)": "試験（DOP, DVA, SAA）またはサービス（dynamodb, ASG）",
    "Look up an AWS term in the study notes": "学習ノートで AWS 用語を調べる",
    "Term, alias or abbreviation": "用語・別名・略語",
    "Rankings for this week, month or all time": "今週・今月・全期間のランキング",
    "This week, this month or all time": "今週・今月・全期間",
    "Only this channel": "このチャンネルだけ",
    "Your accuracy and streak": "自分の正答率と連続回答日数",
    "How to use studybot": "使い方",
    "The daily question in this channel": "このチャンネルの毎日の出題",
    "Post a question every day at this time": "毎日この時刻に出題する",
    "HH:MM, e.g. 09:00": "HH:MM（例 09:00）",
    "IANA time zone, e.g. Asia/Tokyo": "タイムゾーン（例 Asia/Tokyo）",
    "Days, e.g. mon-fri, daily": "曜日（例 mon-fri, daily）",
    "Reveal after, e.g. 8h, 90m": "正解発表までの時間（例 8h, 90m）",
    "Stop the daily question here": "このチャンネルの毎日の出題を止める",
    "Post today's question now": "今日の一問を今すぐ投稿する",
    "Bot language for this server": "このサーバーでの表示言語",
    "Japanese or English": "日本語または英語",
    "Your reviews: due questions first, then new ones": "復習: 今日が期限の問題から、次に新しい問題",
    "Target recall of reviews (higher: more reviews)": "復習の目標正答率（高いほど復習が増える）",
    "0.7 to 0.97, e.g. 0.9": "0.7〜0.97（例 0.9）",
    # choice names
    "This week": "今週",
    "This month": "今月",
    "All time": "全期間",
    "Japanese": "日本語",
    "English": "英語（English）",
}


class StudyTranslator(app_commands.Translator):
    """Japanese names and descriptions for Discord clients set to Japanese; English otherwise."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        if locale is discord.Locale.japanese:
            return JA.get(string.message)
        return None


PERIODS = [
    app_commands.Choice(name=_("This week"), value="week"),
    app_commands.Choice(name=_("This month"), value="month"),
    app_commands.Choice(name=_("All time"), value="all"),
]
LANGUAGES = [app_commands.Choice(name=_("Japanese"), value="ja"), app_commands.Choice(name=_("English"), value="en")]


class StudyGroup(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter):
        super().__init__(name=_("study"), description=_("Study AWS certifications together"), guild_only=True)
        self.adapter = adapter

    @app_commands.command(name=_("quiz"), description=_("A practice question, just for you"))
    @app_commands.describe(filter=_("Exam (DOP, DVA, SAA) or service (dynamodb, ASG)"))
    async def quiz(self, interaction: discord.Interaction, filter: str | None = None) -> None:
        await self.adapter.run(interaction, "quiz", lambda c: c.quiz(filter or ""))

    @app_commands.command(name=_("review"), description=_("Your reviews: due questions first, then new ones"))
    async def review(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, "review", lambda c: c.review())

    @app_commands.command(name=_("lookup"), description=_("Look up an AWS term in the study notes"))
    @app_commands.describe(term=_("Term, alias or abbreviation"))
    async def lookup(self, interaction: discord.Interaction, term: str) -> None:
        await self.adapter.run(interaction, "lookup", lambda c: c.lookup(term))

    @lookup.autocomplete("term")
    async def lookup_term(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        entries = self.adapter.core.index.complete(current) if current.strip() else []
        return [app_commands.Choice(name=_choice_name(e.term), value=e.id[:100]) for e in entries[:25]]

    @app_commands.command(name=_("leaderboard"), description=_("Rankings for this week, month or all time"))
    @app_commands.describe(period=_("This week, this month or all time"), channel_only=_("Only this channel"))
    @app_commands.choices(period=PERIODS)
    async def leaderboard(
        self, interaction: discord.Interaction, period: str = "week", channel_only: bool = False
    ) -> None:
        await self.adapter.run(interaction, "leaderboard", lambda c: c.leaderboard(period, channel_only))

    @app_commands.command(name=_("stats"), description=_("Your accuracy and streak"))
    async def stats(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, "stats", lambda c: c.stats())

    @app_commands.command(name=_("help"), description=_("How to use studybot"))
    async def help(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, "help", lambda c: c.help())


class DailyGroup(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter, parent: app_commands.Group):
        super().__init__(name=_("daily"), description=_("The daily question in this channel"), parent=parent)
        self.adapter = adapter

    @app_commands.command(name=_("set"), description=_("Post a question every day at this time"))
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
        async def call(c: StudyCommands) -> Reply:
            self.adapter.check_can_post(interaction, c)
            return await c.daily_set(daily_spec(time, timezone, days, filter, reveal))

        await self.adapter.run(interaction, "daily", call)

    @set.autocomplete("timezone")
    async def timezone_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        wanted = current.strip().lower()
        names = sorted(n for n in known_timezones() if wanted in n.lower())
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    @app_commands.command(name=_("off"), description=_("Stop the daily question here"))
    async def off(self, interaction: discord.Interaction) -> None:
        await self.adapter.run(interaction, "daily", lambda c: c.daily_off())

    @app_commands.command(name=_("now"), description=_("Post today's question now"))
    async def now(self, interaction: discord.Interaction) -> None:
        async def call(c: StudyCommands) -> Reply:
            self.adapter.check_can_post(interaction, c)
            return await c.daily_now()

        await self.adapter.run(interaction, "daily", call)


class AdminGroup(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter):
        super().__init__(
            name=_("study-admin"),
            description=_("studybot settings (Manage Server)"),
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.adapter = adapter
        DailyGroup(adapter, parent=self)

    @app_commands.command(name=_("lang"), description=_("Bot language for this server"))
    @app_commands.describe(language=_("Japanese or English"))
    @app_commands.choices(language=LANGUAGES)
    async def lang(self, interaction: discord.Interaction, language: str) -> None:
        await self.adapter.run(interaction, "lang", lambda c: c.lang(language))

    @app_commands.command(name=_("retention"), description=_("Target recall of reviews (higher: more reviews)"))
    @app_commands.describe(value=_("0.7 to 0.97, e.g. 0.9"))
    async def retention(
        self, interaction: discord.Interaction, value: app_commands.Range[float, MIN_RETENTION, MAX_RETENTION]
    ) -> None:
        await self.adapter.run(interaction, "retention", lambda c: c.retention(str(value)))


def _choice_name(text: str) -> str:
    return text if len(text) <= 100 else text[:99] + "…"
