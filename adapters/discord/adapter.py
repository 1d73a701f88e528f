"""Discord: a discord.py client whose slash commands and buttons call the core.

Only the `guilds` intent is asked for: interactions need no privileged intents. The client is an
AutoShardedClient, so it takes as many gateway shards as Discord recommends (one per 2,500 servers
at most). Every REST request is paced under Discord's global limit (pacing.py); every interaction
gets an answer, also when something fails; no message can mention anyone.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands

from adapters.discord.commands import AdminGroup, StudyGroup, StudyTranslator
from adapters.discord.components import AnswerButton, AnswerSelect, is_ours, names_post, question_view
from adapters.discord.embeds import leaderboard_embed, lookup_embed, question_embed, reveal_embed, stats_embed
from adapters.discord.pacing import RestPacer
from bot.commands import UserError
from bot.config import Settings
from bot.content import Question
from bot.core import Actor, StudyBot
from bot.daily_posts import ChannelUnavailable
from bot.i18n import t
from bot.models import Channel, Community, Post, PostResults, User
from bot.render import feedback_text, reply_text
from bot.study_commands import BoardReply, LookupReply, Message, QuestionReply, Reply, StatsReply, StudyCommands
from bot.study_commands import run_typed as run_study_command

log = logging.getLogger("studybot.discord")


def unavailable(what: str, exc: discord.HTTPException) -> ChannelUnavailable:
    """A 403 or 404 from Discord: the detail (Discord's words, or a proxy's page) for the log, a plain
    reason for the admin."""
    reason = "forbidden" if isinstance(exc, discord.Forbidden) else "gone"
    return ChannelUnavailable(f"{what}: {exc.status} {' '.join(str(exc.text).split())[:200]}", reason)


PLATFORM = "discord"
PREFIX = "/study "
ADMIN_PREFIX = "/study-admin "
# Sends, edits and DMs under way at once. Their pace is the pacer's; this only bounds how many wait
# for it inside aiohttp's request timeout. 50 requests/s at a 300 ms round trip keep 15 in flight.
MAX_IN_FLIGHT = 64
# A click is answered within Discord's 3 s; if the answer is not stored by then, defer and follow up.
DEFER_CLICK_AFTER = 2.0
# What the bot needs in a channel to post there (docs/topics/permissions.md); the history is read to
# find out whether a send whose answer was lost reached the channel.
NEEDED_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "read_message_history")
# Messages read back looking for one; a question is found among the first posted after its claim.
HISTORY_LIMIT = 100


class DiscordAdapter(discord.AutoShardedClient):
    name = PLATFORM

    def __init__(self, bot: StudyBot, settings: Settings, pacer: RestPacer | None = None, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True
        self.pacer = pacer or RestPacer()
        if settings.discord_shards is not None:  # this process's share (STUDYBOT_DISCORD_SHARDS)
            shard_ids, shard_count = settings.discord_shards
            options = {"shard_ids": list(shard_ids), "shard_count": shard_count, **options}
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=self.pacer.trace(),
            **options,
        )
        self.core = bot
        self.settings = settings
        self.tree = app_commands.CommandTree(self)
        self.tree.add_command(StudyGroup(self))
        self.tree.add_command(AdminGroup(self))
        self.tree.on_error = self.on_command_error  # type: ignore[method-assign]
        self.sync_commands = True
        self.command_ids: dict[str, int] = {}  # top-level command name -> its id, once synced
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.on_first_ready: Callable[[], None] | None = None  # DiscordRunner waits on this
        bot.register(self)

    async def on_ready(self) -> None:
        log.info("connected to Discord with %s shard(s)", self.shard_count)
        if self.on_first_ready is not None:
            self.on_first_ready()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(AnswerButton, AnswerSelect)
        await self.tree.set_translator(StudyTranslator())
        shards = self.settings.discord_shards
        if not self.sync_commands or (shards is not None and 0 not in shards[0]):
            return  # split across processes: the one running shard 0 syncs the commands, once
        if self.settings.discord_guild_id:
            guild = discord.Object(id=int(self.settings.discord_guild_id))
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("commands synced to guild %s", guild.id)
        else:
            synced = await self.tree.sync()
            log.info("commands synced globally (may take a while to show up)")
        self.command_ids = {command.name: command.id for command in synced}

    def is_connected(self) -> bool:
        return self.is_ready() and not self.is_closed()

    def serves(self, community: Community) -> bool:
        """Whether this process posts to the server: the gateway routes a server's events to shard
        (guild_id >> 22) % shard_count (docs/events/gateway.md#sharding), so only the process running
        that shard hears its commands, and only it posts there. Every server, when not split."""
        if self.settings.discord_shards is None:
            return True
        shard_ids, shard_count = self.settings.discord_shards
        try:
            guild_id = int(community.platform_id)
        except ValueError:
            return 0 in shard_ids  # a direct-message "community": no server, no shard; shard 0's process
        return (guild_id >> 22) % shard_count in shard_ids

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
            community_locale=interaction.guild_locale.value if interaction.guild_locale else None,
        )

    def check_can_post(self, interaction: discord.Interaction, commands: StudyCommands) -> None:
        """Refuse to schedule a channel the bot cannot post in, naming what is missing, instead of
        failing at 09:00. The interaction says what the bot may do there (app_permissions)."""
        if not commands.actor.is_admin:
            raise UserError("daily.admin_only")
        granted = interaction.app_permissions
        missing = [name for name in NEEDED_PERMISSIONS if not getattr(granted, name)]
        if missing:
            names = "、".join(t(commands.locale, f"permission.{name}") for name in missing)
            raise UserError("daily.missing_permissions", permissions=names)

    # -- interactions

    async def run(
        self, interaction: discord.Interaction, name: str, call: Callable[[StudyCommands], Awaitable[Reply]]
    ) -> None:
        """A slash command: deferred at once (posting the daily question can take longer than Discord's
        3 s), then answered privately."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await run_study_command(self.core, self.actor(interaction), name, call, PREFIX, ADMIN_PREFIX)
        await interaction.followup.send(ephemeral=True, **self.render(reply))

    def render(self, reply: Reply) -> dict[str, Any]:
        match reply:
            case QuestionReply(view=view):
                return {
                    "embed": question_embed(view.post, view.question, view.locale, review=view.review),
                    "view": question_view(view.post, view.question, view.locale),
                }
            case LookupReply(result=result, locale=locale):
                return {"embed": lookup_embed(result, locale)}
            case BoardReply(board=board):
                return {"embed": leaderboard_embed(board)}
            case StatsReply(stats=stats):
                return {"embed": stats_embed(stats)}
            case Message(text=text):
                return {"content": self.mention_commands(text)[:2000]}
        return {"content": reply_text(reply)[:2000]}

    def mention_commands(self, text: str) -> str:
        """`/study quiz` becomes a clickable `</study quiz:ID>` where the command's id is known."""
        paths = {
            command.qualified_name: self.command_ids[command.qualified_name.split()[0]]
            for command in self.tree.walk_commands()
            if isinstance(command, app_commands.Command) and command.qualified_name.split()[0] in self.command_ids
        }
        if not paths:
            return text
        pattern = re.compile("|".join(re.escape("/" + p) for p in sorted(paths, key=len, reverse=True)))
        return pattern.sub(lambda m: f"</{m[0][1:]}:{paths[m[0][1:]]}>", text)

    async def answer(self, interaction: discord.Interaction, post_id: int, choices: list[str]) -> None:
        """A click: stored first, then answered privately within Discord's 3 s (deferred if the
        database is slow to take it, so the click is never left failing)."""
        actor = self.actor(interaction)
        try:
            stored = asyncio.ensure_future(self.core.answer(actor, post_id, choices))
            done, _ = await asyncio.wait({stored}, timeout=DEFER_CLICK_AFTER)
            if not done:
                await interaction.response.defer(ephemeral=True, thinking=True)
            feedback = await stored
            timezone = (await self.core.context(actor)).community.timezone
            text = feedback_text(feedback, timezone)[:2000]
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except Exception as exc:
            await self.answer_failure(interaction, exc)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A click on a component none of ours claims (an older version's button, a forged id) would
        otherwise show "This interaction failed"."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if is_ours(custom_id):
            return
        log.info("click on an unknown component %r", custom_id[:100])
        locale = (await self.core.context(self.actor(interaction))).locale
        await self.reply_privately(interaction, t(locale, "button.stale"))

    async def on_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Whatever went wrong, the user gets a clear private answer instead of "thinking…"."""
        await self.answer_failure(interaction, error)

    async def answer_failure(self, interaction: discord.Interaction, error: BaseException) -> None:
        key = "error.unexpected"
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            key = "error.outdated_command"
        elif isinstance(error, app_commands.TransformerError):
            key = "error.bad_option"
        else:
            self.core.metrics.errors.labels("discord_interaction").inc()
            log.error("interaction %s failed", interaction.id, exc_info=error)
        try:
            locale = (await self.core.context(self.actor(interaction))).locale
        except Exception:
            locale = self.settings.locale_for(None)
        await self.reply_privately(interaction, t(locale, key))

    async def reply_privately(self, interaction: discord.Interaction, text: str) -> None:
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:  # the interaction expired meanwhile: nothing left to answer
            log.warning("could not answer interaction %s: %s", interaction.id, exc)

    # -- the core posts through these

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        target = self.get_partial_messageable(int(channel.platform_id), guild_id=int(community.platform_id))
        try:
            async with self._in_flight:
                message = await target.send(
                    embed=question_embed(post, question, community.locale, community.timezone),
                    view=question_view(post, question, community.locale),
                    # With enforce_nonce (which discord.py sends with every nonce), Discord answers a
                    # second send with the same nonce in the next few minutes with the first message.
                    nonce=f"studybot-{post.id}",
                )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise unavailable(f"Discord channel {channel.platform_id}", exc) from exc
        return str(message.id)

    async def find_question(self, community: Community, channel: Channel, post: Post) -> str | None:
        """The bot's message for this post, if it reached the channel: its buttons name the post. Read
        from the history after the post's claim; a channel whose history the bot may not read cannot
        say, and gets None (the resend's nonce still guards the first minutes)."""
        target = self.get_partial_messageable(int(channel.platform_id), guild_id=int(community.platform_id))
        since = discord.Object(id=discord.utils.time_snowflake(datetime.fromtimestamp(post.posted_at - 60, UTC)))
        try:
            async with self._in_flight:
                async for message in target.history(limit=HISTORY_LIMIT, after=since, oldest_first=True):
                    if self.user is not None and message.author.id == self.user.id and names_post(message, post):
                        return str(message.id)
        except discord.Forbidden as exc:
            log.warning("post %s: cannot read the history of channel %s (%s)", post.id, channel.platform_id, exc.text)
        except discord.NotFound as exc:
            raise unavailable(f"Discord channel {channel.platform_id}", exc) from exc
        return None

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None:
        """Edit the question into its answer. A message or channel that is gone (or closed to the bot)
        fails for good; anything else raises for the core to retry."""
        assert post.message_ref is not None
        target = self.get_partial_messageable(int(channel.platform_id), guild_id=int(community.platform_id))
        try:
            async with self._in_flight:
                await target.get_partial_message(int(post.message_ref)).edit(
                    embed=reveal_embed(question, results, community.locale),
                    view=None,
                    allowed_mentions=discord.AllowedMentions.none(),  # an edit does not take the client's default
                )
        except (discord.Forbidden, discord.NotFound) as exc:
            raise unavailable(f"Discord message {post.message_ref}", exc) from exc

    async def channel_lost(self, community: Community, channel: Channel, admin: User | None, reason: str) -> None:
        """Tell the admin who set the schedule, by direct message, that it stopped and why."""
        if admin is None:
            return
        text = t(community.locale, "daily.channel_lost", channel=f"<#{channel.platform_id}>", reason=reason)
        try:
            async with self._in_flight:
                dm = await self.create_dm(discord.Object(id=int(admin.platform_id)))
                await dm.send(text)
        except discord.HTTPException as exc:
            log.warning("could not tell admin %s that channel %s stopped: %s", admin.platform_id, channel.id, exc)
