"""Slack's Events API: schedules are switched off when Slack says the bot lost a channel or the
workspace, not at the next post.

- member_left_channel (https://docs.slack.dev/reference/events/member_left_channel): someone left a
  channel; only the bot's own leaving (it was removed) matters here.
- channel_archive / group_archive (https://docs.slack.dev/reference/events/channel_archive): a public
  or private channel was archived; nothing can be posted there.
- app_uninstalled (https://docs.slack.dev/reference/events/app_uninstalled) and tokens_revoked
  (https://docs.slack.dev/reference/events/tokens_revoked): the workspace's token is gone; every
  schedule there stops, and with OAuth the stored installation is deleted (adapters/slack/oauth.py).

Slack wants an event acknowledged within 3 seconds and retries it otherwise; the app runs with
process_before_response (see followup.py), so each handler only starts its work in the background and
returns, and nothing in that work may raise.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter

log = logging.getLogger("studybot.slack")
PLATFORM = "slack"


class SlackEvents:
    def __init__(self, adapter: SlackAdapter):
        self.adapter = adapter
        app = adapter.app
        app.event("member_left_channel")(self.on_member_left)
        app.event("channel_archive")(self.on_archive)
        app.event("group_archive")(self.on_archive)
        app.event("app_uninstalled")(self.on_uninstalled)
        app.event("tokens_revoked")(self.on_tokens_revoked)

    async def on_member_left(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        self.adapter.background.spawn(self._member_left(event, body, context.get("bot_user_id")))

    async def _member_left(self, event: dict[str, Any], body: dict[str, Any], bot_user: str | None) -> None:
        team = _team(event, body)
        if event.get("user") != (bot_user or await self._bot_user(team)):
            return  # a person left: nothing to do
        await self.stop(team, event.get("channel"), "member_left_channel: the bot was removed", tell=True)

    async def on_archive(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        reason = f"{event.get('type')}: archived"
        self.adapter.background.spawn(self.stop(_team(event, body), event.get("channel"), reason, tell=True))

    async def on_uninstalled(self, body: dict[str, Any]) -> None:
        self.adapter.background.spawn(self._gone(body, "app_uninstalled", bots=True))

    async def on_tokens_revoked(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        # studybot uses only its bot token; revoked user tokens change nothing for it
        bots = bool((event.get("tokens") or {}).get("bot"))
        self.adapter.background.spawn(self._gone(body, "tokens_revoked", bots))

    async def _gone(self, body: dict[str, Any], reason: str, bots: bool) -> None:
        team = str(body.get("team_id", ""))
        if bots:
            await self.stop(team, None, reason, tell=False)
        try:
            await self.adapter.forget_workspace(body.get("enterprise_id"), team, bots=bots)
        except Exception:
            log.exception("Slack %s: forgetting the workspace after %s failed", team, reason)

    async def _bot_user(self, team: str) -> str | None:
        try:
            return await self.adapter.bot_user(team)
        except Exception as exc:
            log.warning("cannot tell the bot's own user in %s: %s", team, exc)
            return None

    async def stop(self, team: str, channel_id: str | None, reason: str, tell: bool) -> None:
        """Switch off the schedules of a channel (or of the whole workspace) with one log line each,
        and, when the token still works, tell the admin who set the schedule."""
        try:
            bot = self.adapter.bot
            for community, channel, schedule in await bot.storage.schedules_in(PLATFORM, team, channel_id):
                if not await bot.storage.disable_schedule(channel.id, reason):
                    continue
                if bot.scheduler is not None:
                    bot.scheduler.remove_daily(channel.id)
                log.warning(
                    "Slack %s channel %s (%s): schedule switched off (%s)",
                    team,
                    channel.platform_id,
                    channel.id,
                    reason,
                )
                if tell and schedule.created_by is not None:
                    admin = await bot.storage.user_by_id(schedule.created_by)
                    await self.adapter.channel_lost(community, channel, admin, reason)
        except Exception:
            log.exception("Slack %s: switching schedules off after an event failed", team)


def _team(event: dict[str, Any], body: dict[str, Any]) -> str:
    return str(event.get("team") or body.get("team_id") or "")
