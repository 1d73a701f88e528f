"""Slack: slack-bolt's AsyncApp translating /study and button clicks into core calls.

Runs in HTTP mode (signed requests into an aiohttp server) or Socket Mode (an app-level token).
Every reply to a person is ephemeral; the daily question is a channel message that is edited in
place at reveal time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import (
    ANSWER_ACTION,
    LOOKUP_ACTION,
    PICK_ACTION,
    SUBMIT_ACTION,
    leaderboard_blocks,
    lookup_blocks,
    plain,
    question_blocks,
    reveal_blocks,
    stats_blocks,
)
from adapters.slack.escape import escape, fit
from adapters.slack.events import SlackEvents
from adapters.slack.followup import Background, ack_in_time
from adapters.slack.guard import RefuseMalformed, request_guard, response_url_allowed
from adapters.slack.home import home_view
from adapters.slack.oauth import (
    InstalledOnly,
    SlackInstallations,
    SlackOAuthStates,
    oauth_enabled,
    oauth_settings,
)
from adapters.slack.posting import CHANNEL_GONE, find_message, post_message, post_metadata, retry_handlers, web_client
from adapters.slack.single_workspace import OneWorkspace
from bot.config import Settings
from bot.content import Question
from bot.core import Actor, StudyBot
from bot.daily_posts import ChannelUnavailable
from bot.i18n import t
from bot.models import Channel, Community, Post, PostResults, User
from bot.render import feedback_text, lookup_text, question_text, reply_text, reveal_text
from bot.storage.errors import STORAGE_FAILURES
from bot.study_commands import (
    ADMIN_COMMANDS,
    BoardReply,
    LookupReply,
    QuestionReply,
    Reply,
    StatsReply,
    run_command,
)
from bot.web import serve

log = logging.getLogger("studybot.slack")
PLATFORM = "slack"
PREFIX = "/study "
ADMIN_CACHE_SECONDS = 300
REPLY_SLOTS = 16
REPLY_DEFER_SECONDS = 1.0  # the longest a reply waits for the acks of a burst to go out first
CLOSE_GRACE_SECONDS = 5.0
# users.info calls in the background at once: a burst of new people must not spend the method's budget
# (Tier 4, 100+ a minute: https://docs.slack.dev/reference/methods/users.info); the rest wait for a later click.
NAME_LOOKUPS = 20
USER_CACHE = 10_000  # people whose users.info answer is kept (least recently asked go first)
TEXT_LIMIT = 3000  # a message's fallback `text`: Slack takes 40,000, a notification shows far less


class SlackUser(NamedTuple):
    name: str
    is_admin: bool
    until: float  # time.monotonic() after which users.info is asked again


def display_name(user: dict[str, Any]) -> str:
    """The name Slack shows for a person: the display name they chose, else their full name, else the
    account name (users.info `profile.display_name`, `real_name`, `name`)."""
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if isinstance(name, str) and name.strip():
            return name.strip()
    return ""


class SlackAdapter:
    name = PLATFORM

    def __init__(self, bot: StudyBot, settings: Settings, client: AsyncWebClient | None = None):
        self.bot = bot
        self.settings = settings
        self.client = client or web_client(settings.slack_bot_token, settings.slack_api_url)
        # 429 is retried by slack_sdk itself, 5xx and dropped connections too except for message posts,
        # which the core retries after looking for them in the channel (adapters/slack/posting.py).
        self.client.retry_handlers = retry_handlers()
        self._bot_users: dict[str, str] = {}  # team id -> the bot's own user id there (auth.test)
        # OAuth: each workspace's own token, from the installations in the database (oauth.py).
        self.installations: SlackInstallations | None = None
        self.workspace: OneWorkspace | None = None
        oauth: dict[str, Any] = {}
        if oauth_enabled(settings):
            self.client.token = None
            self.installations = SlackInstallations(bot.storage, settings.slack_client_id or "")
            states = SlackOAuthStates(bot.storage)
            oauth = {
                "oauth_settings": oauth_settings(settings, self.installations, states),
                "authorize": InstalledOnly(self.installations),
            }
        else:
            # One token: the app gets a client without it, and each request the token from one auth.test
            # shared by all (single_workspace.py), instead of bolt's auth.test per request until cached.
            self.workspace = OneWorkspace(self.client)
            oauth = {"authorize": self.workspace}
        self._team_clients: dict[str, AsyncWebClient] = {}
        self.app = AsyncApp(
            client=self.client if self.installations is not None else web_client(None, settings.slack_api_url),
            signing_secret=settings.slack_signing_secret or "",
            # The signature is checked once, by request_guard (guard.py), before Bolt sees the request;
            # Bolt checking it again only cost each click a second HMAC and header parse.
            request_verification_enabled=False,
            # The HTTP response goes out when the listener returns, right after its ack: no polling for
            # the ack (see followup.py); what follows the ack runs in self.background.
            process_before_response=True,
            **oauth,
        )
        # Replies in flight at once: in a burst of clicks, a reply waits rather than slowing the acks.
        self._reply_slots = asyncio.Semaphore(REPLY_SLOTS)
        self.background = Background()
        self._locales: dict[str, str] = {}  # team id -> its language, for messages when the core failed
        self._users: OrderedDict[tuple[str, str], SlackUser] = OrderedDict()  # users.info answers, kept a while
        self._lookups: dict[tuple[str, str], asyncio.Task[SlackUser | None]] = {}  # names being asked in the background
        self._busy = 0  # commands and clicks being answered now
        self._idle = asyncio.Event()  # set while none is: background name lookups wait for it
        self._idle.set()
        self._http: aiohttp.ClientSession | None = None  # kept open: one connection pool for all replies
        self._socket: Any = None  # the Socket Mode handler, when connected that way
        self.app.use(RefuseMalformed())
        self.app.command("/study")(self.on_study)
        self.app.action(ANSWER_ACTION)(self.on_answer)
        self.app.action(PICK_ACTION)(self.on_pick)
        self.app.action(SUBMIT_ACTION)(self.on_submit)
        self.app.action(LOOKUP_ACTION)(self.on_lookup)
        self.events = SlackEvents(self)
        self.app.event("app_home_opened")(self.on_home_opened)
        bot.register(self)

    # -- serving

    def web_app(self, path: str) -> web.Application:
        """Bolt's aiohttp application taking signed requests at `path`; the bot's other HTTP routes
        (health, metrics) are added to it so one port serves everything."""
        app = self.app.web_app(path=path)
        app.middlewares.append(request_guard(path, self.settings.slack_signing_secret))
        return app

    async def start_http(self, host: str, port: int, path: str) -> web.AppRunner:
        return await serve(self.web_app(path), host, port)

    def is_connected(self) -> bool:
        """HTTP mode holds no connection; Socket Mode does."""
        return self._socket is None or not self._socket.client.closed

    async def start_socket_mode(self, app_token: str) -> Any:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.app, app_token)
        await handler.connect_async()
        self._socket = handler
        log.info("Slack Socket Mode connected")
        return handler

    async def close(self) -> None:
        await self.background.drain(CLOSE_GRACE_SECONDS)  # replies of acknowledged clicks still go out
        for task in list(self._lookups.values()):
            task.cancel()
        if self._http is not None:
            await self._http.close()

    async def reply(self, response_url: str | None, **message: Any) -> None:
        """An ephemeral reply through the response_url of a command or click.

        Bolt's respond() opens a new HTTP session for every reply; at a few hundred clicks a second
        that connection setup was a third of the work, so replies share one session.
        """
        if not response_url:
            log.warning("no response_url to reply to")
            return
        if not response_url_allowed(response_url, self.settings.slack_response_hosts):
            log.warning("response_url refused (not a Slack host): %.200r", response_url)
            return
        message["text"] = fit(escape(message.get("text", "")), TEXT_LIMIT)  # every caller passes plain text
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        webhook = AsyncWebhookClient(url=response_url, session=self._http)
        response = await webhook.send_dict({"response_type": "ephemeral", "replace_original": False, **message})
        if response.status_code != 200:
            log.warning("reply via response_url failed: %s %s", response.status_code, response.body[:200])

    # -- who is clicking

    def actor(
        self, team: str, user: str, user_name: str, channel: str | None, channel_name: str = "", is_admin: bool = False
    ) -> Actor:
        return Actor(PLATFORM, team, user, user_name, channel, channel_name, is_admin=is_admin)

    async def user(self, user_id: str, team: str = "") -> SlackUser | None:
        """users.info for one person (their name and whether they administer the workspace), asked at
        most every ADMIN_CACHE_SECONDS; None when Slack does not answer."""
        key = (team, user_id)
        cached = self._users.get(key)
        if cached is not None and cached.until > time.monotonic():
            self._users.move_to_end(key)
            return cached
        try:
            client = await self.team_client(team)
            info = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return cached
        except ChannelUnavailable:  # the workspace never installed studybot
            return cached
        except (aiohttp.ClientError, TimeoutError) as exc:  # Slack unreachable: what is known will do
            log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            return cached
        user = info.get("user") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner"))
        found = SlackUser(display_name(user), admin, time.monotonic() + ADMIN_CACHE_SECONDS)
        self._users[key] = found
        self._users.move_to_end(key)
        if len(self._users) > USER_CACHE:
            self._users.popitem(last=False)
        return found

    def known_name(self, user_id: str, fallback: str, team: str = "") -> str:
        """The display name users.info gave for this person, if it was asked already; else `fallback`
        (the account name in the request). Clicks never wait on users.info: they take what is known, and
        an unknown person is looked up in the background, so their next click or command stores it."""
        key = (team, user_id)
        cached = self._users.get(key)
        if cached is None and user_id and key not in self._lookups and len(self._lookups) < NAME_LOOKUPS:
            task = asyncio.get_running_loop().create_task(self._user_when_idle(user_id, team))
            self._lookups[key] = task
            task.add_done_callback(lambda _: self._lookups.pop(key, None))
        return cached.name if cached is not None and cached.name else fallback

    async def _user_when_idle(self, user_id: str, team: str) -> SlackUser | None:
        """A name is cosmetic: in a burst of clicks its users.info call waits until no command or click
        is being answered, so the lookups never slow the acks (bench/slack_http.py)."""
        await self._idle.wait()
        return await self.user(user_id, team)

    async def _acks_first(self) -> None:
        """A reply waits while other requests are still to be acknowledged (at most REPLY_DEFER_SECONDS):
        in a burst of clicks each reply's HTTP request took loop time the acks behind it needed, and a
        late ack is an error Slack shows, where a reply a moment later is not (bench/slack_http.py)."""
        if not self._idle.is_set():
            try:
                await asyncio.wait_for(self._idle.wait(), REPLY_DEFER_SECONDS)
            except TimeoutError:
                pass

    async def is_admin(self, user_id: str, team: str = "") -> bool:
        """Workspace admins and owners, or users named in the configuration."""
        if user_id in self.settings.admins:
            return True
        user = await self.user(user_id, team)
        return bool(user and user.is_admin)

    # -- listeners

    async def on_study(self, ack: Any, command: dict[str, Any]) -> None:
        await self._in_time(ack, command.get("team_id", ""), command.get("response_url"), self._study(command))

    async def _study(self, command: dict[str, Any]) -> dict[str, Any]:
        words = (command.get("text") or "").split()
        team = command.get("team_id", "")
        admin = bool(words) and words[0].lower() in ADMIN_COMMANDS and await self.is_admin(command["user_id"], team)
        if command["user_id"] not in self.settings.admins:
            await self.user(command["user_id"], team)  # the display name, for leaderboards (cached)
        actor = self.actor(
            command["team_id"],
            command["user_id"],
            self.known_name(command["user_id"], command.get("user_name", ""), team),
            command.get("channel_id"),
            command.get("channel_name", ""),
            is_admin=admin,
        )
        self._locales[actor.community_id] = (await self.bot.context(actor)).locale
        reply = await run_command(self.bot, actor, words, prefix=PREFIX)
        return self.render(reply)

    async def _in_time(self, ack: Any, team: str, response_url: str | None, work: Any) -> None:
        """Acknowledge within the ack wait whatever `work` does, and reply through response_url (see
        adapters/slack/followup.py); a failure is told in the workspace's language."""

        async def deliver(message: dict[str, Any]) -> None:
            await self._acks_first()
            async with self._reply_slots:
                await self.reply(response_url, **message)

        def failed(exc: BaseException) -> dict[str, Any]:
            self.bot.metrics.errors.labels("slack_listener").inc()
            key = "answer.not_stored" if isinstance(exc, STORAGE_FAILURES) else "error.unexpected"
            return {"text": t(self._locales.get(team) or self.settings.locale_for(None), key)}

        self._busy += 1
        self._idle.clear()
        try:
            await ack_in_time(ack, work, deliver, failed, self.settings.slack_ack_seconds, self.background)
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    def render(self, reply: Reply) -> dict[str, Any]:
        match reply:
            case QuestionReply(view=view):
                blocks = question_blocks(view.post, view.question, view.locale, review=view.review)
            case LookupReply(result=result, locale=locale):
                blocks = lookup_blocks(result, locale)
            case BoardReply(board=board):
                blocks = leaderboard_blocks(board)
            case StatsReply(stats=stats):
                blocks = stats_blocks(stats)
            case _:
                blocks = plain(reply_text(reply))
        if isinstance(reply, LookupReply):
            return {"text": lookup_text(reply.result, reply.locale, PREFIX), "blocks": blocks}
        return {"text": reply_text(reply), "blocks": blocks}

    async def on_answer(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        match = ANSWER_ACTION.match(action["action_id"])
        assert match is not None  # the listener is registered for this pattern
        await self._answer(ack, body, int(match["post"]), [match["choice"]])

    async def on_pick(self, ack: Any) -> None:
        await ack()  # ticking a checkbox is not an answer yet; the submit button is

    async def on_submit(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        match = SUBMIT_ACTION.match(action["action_id"])
        assert match is not None
        post_id = match["post"]
        picked = body.get("state", {}).get("values", {}).get(f"sb:q:{post_id}", {}).get(f"sb:pick:{post_id}", {})
        choices = [o.get("value", "") for o in picked.get("selected_options") or []]
        await self._answer(ack, body, int(post_id), choices)

    async def _answer(self, ack: Any, body: dict[str, Any], post_id: int, choices: list[str]) -> None:
        user = body.get("user", {})
        team = body.get("team", {}).get("id") or user.get("team_id", "")
        actor = self.actor(
            team,
            user.get("id", ""),
            self.known_name(user.get("id", ""), user.get("username") or user.get("name", ""), team),
            (body.get("channel") or {}).get("id"),
        )

        async def record() -> dict[str, Any]:
            # Stored before the ack when the database is quick: an acknowledged click is then an answer
            # already safe. When it is not, the ack goes first and this reply follows (followup.py).
            feedback = await self.bot.answer(actor, post_id, choices)
            self._locales[actor.community_id] = feedback.locale
            timezone = (await self.bot.context(actor)).community.timezone
            text = feedback_text(feedback, timezone)
            return {"text": text, "blocks": plain(text)}

        await self._in_time(ack, actor.community_id, body.get("response_url"), record())

    async def on_lookup(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        match = LOOKUP_ACTION.match(action["action_id"])
        assert match is not None
        user = body.get("user", {})
        actor = self.actor(body.get("team", {}).get("id", ""), user.get("id", ""), user.get("username", ""), None)

        async def look_up() -> dict[str, Any]:
            locale = (await self.bot.context(actor)).locale
            result = self.bot.lookup(match["entry"])
            return {"text": lookup_text(result, locale, PREFIX), "blocks": lookup_blocks(result, locale)}

        await self._in_time(ack, actor.community_id, body.get("response_url"), look_up())

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """The Home tab: the person's own stats and the workspace's weekly top 10 (home.py)."""
        user_id, team_id = event.get("user"), body.get("team_id")
        if event.get("tab", "home") != "home" or not user_id or not team_id:
            return
        await self.user(user_id, team_id)  # the display name (cached)
        actor = self.actor(team_id, user_id, self.known_name(user_id, "", team_id), None)
        view = home_view(await self.bot.stats(actor), await self.bot.leaderboard(actor, "week"), PREFIX)
        try:
            client = await self.team_client(team_id)
            await client.views_publish(user_id=user_id, view=view)
        except (SlackApiError, ChannelUnavailable) as exc:
            log.warning("views.publish for %s failed: %s", user_id, exc.response.get("error"))

    # -- the core posts through these

    async def send_question(self, community: Community, channel: Channel, post: Post, question: Question) -> str:
        client = await self.team_client(community.platform_id)
        return await post_message(
            client,
            channel.platform_id,
            text=fit(escape(question_text(post, question, community.locale, community.timezone)), TEXT_LIMIT),
            blocks=question_blocks(post, question, community.locale, community.timezone),
            metadata=post_metadata(post),
        )

    async def find_question(self, community: Community, channel: Channel, post: Post) -> str | None:
        """The message already sent for this post, if it reached the channel (see posting.py)."""
        client = await self.team_client(community.platform_id)
        return await find_message(client, channel.platform_id, post, await self.bot_user(community.platform_id))

    async def bot_user(self, team: str) -> str | None:
        """The bot's own user id in a workspace, from auth.test once."""
        if team not in self._bot_users and self.workspace is not None:
            self._bot_users[team] = str((await self.workspace.identity()).get("user_id") or "")
        if team not in self._bot_users:
            client = await self.team_client(team)
            self._bot_users[team] = str((await client.auth_test()).get("user_id") or "")
        return self._bot_users[team] or None

    async def team_client(self, team: str) -> AsyncWebClient:
        """The Web API client holding this workspace's bot token: the one token in single-token mode,
        the workspace's installation with OAuth (ChannelUnavailable when it has none)."""
        if self.installations is None:
            return self.client
        client = self._team_clients.get(team)
        if client is None:
            found = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
            if found is None:
                raise ChannelUnavailable(f"Slack workspace {team} has not installed studybot")
            client = web_client(found.bot_token, self.settings.slack_api_url)
            if len(self._team_clients) > 10_000:
                self._team_clients.clear()
            self._team_clients[team] = client
        return client

    async def forget_workspace(self, enterprise: str | None, team: str, bots: bool) -> None:
        """The workspace uninstalled studybot or revoked its tokens: its installation and what is
        known of it go."""
        if not bots:
            return
        self._bot_users.pop(team, None)
        self._team_clients.pop(team, None)
        for key in [k for k in self._users if k[0] == team]:
            del self._users[key]
        if self.installations is not None:
            await self.installations.async_delete_installation(enterprise_id=enterprise, team_id=team)

    async def reveal(
        self, community: Community, channel: Channel, post: Post, question: Question, results: PostResults
    ) -> None:
        client = await self.team_client(community.platform_id)
        try:
            await client.chat_update(
                channel=channel.platform_id,
                ts=post.message_ref,
                text=fit(escape(reveal_text(question, results, community.locale)), TEXT_LIMIT),
                blocks=reveal_blocks(question, results, community.locale),
            )
        except SlackApiError as exc:
            error = exc.response.get("error", "")
            if error in CHANNEL_GONE or error in ("message_not_found", "cant_update_message"):
                raise ChannelUnavailable(f"Slack message {post.message_ref}: {error}") from exc
            raise

    async def channel_lost(self, community: Community, channel: Channel, admin: User | None, reason: str) -> None:
        """Tell the admin who set the schedule, by direct message (conversations.open needs im:write),
        that the daily question stopped and why."""
        if admin is None:
            return
        text = t(community.locale, "slack.channel_lost", channel=f"<#{channel.platform_id}>", reason=reason)
        try:
            client = await self.team_client(community.platform_id)
            dm = await client.conversations_open(users=admin.platform_id)
            await post_message(client, dm["channel"]["id"], text=text)
        except (SlackApiError, ChannelUnavailable) as exc:
            log.warning("could not tell admin %s that channel %s stopped: %s", admin.platform_id, channel.id, exc)
