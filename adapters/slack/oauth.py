"""Installing studybot to any workspace: Slack's OAuth v2 through slack-bolt's AsyncOAuthSettings,
with installations and OAuth states kept in studybot's own database (SQL in bot/storage.py).

- `/slack/install` hands out a state (kept here, good once for STATE_SECONDS) and sends the installer
  to Slack; `/slack/oauth_redirect` exchanges the code with oauth.v2.access
  (https://docs.slack.dev/authentication/installing-with-oauth) and stores the installation.
- Every request is then served with its own workspace's bot token, looked up by team_id (or by
  enterprise_id for an org-wide install); a request from a workspace that never installed is refused
  with a log line, and nothing of it is stored.
- app_uninstalled and tokens_revoked delete the workspace's installation (adapters/slack/events.py).

Only the bot token is kept (studybot asks for no user scopes). The database file therefore holds
secrets: keep it as private as the environment's SLACK_CLIENT_SECRET.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.config import Settings
from bot.storage import Storage

log = logging.getLogger("studybot.slack")
STATE_SECONDS = 600  # an install started and not finished within 10 minutes starts over
# The bot scopes asked for at install; adapters/slack/manifest.yaml lists the same, with why.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "im:write",
    "files:write",  # charts (adapters/slack/charts.py)
)
CACHE = 10_000  # installations kept in memory (least recently used go first)
# Seconds a found installation is served from memory. Replicas behind one address share the database,
# not this cache: a reinstall or an uninstall made through another replica is seen here this much later
# at most. A workspace not found is never cached, so an install through another replica works at once.
CACHE_SECONDS = 60.0
BOT_FIELDS = ("app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token", "bot_id")
BOT_FIELDS += ("bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at", "is_enterprise_install")


def _stamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value or time.time())


class SlackInstallations(AsyncInstallationStore):
    """slack_sdk's installation store on studybot's database, with a small cache in front: every
    click needs its workspace's token."""

    def __init__(self, storage: Storage, client_id: str):
        self.storage = storage
        self.client_id = client_id
        self._bots: OrderedDict[tuple[str, str], tuple[float, Bot]] = OrderedDict()  # key -> (kept until, bot)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        data = {name: getattr(installation, name, None) for name in BOT_FIELDS}
        data["installed_at"] = _stamp(installation.installed_at)
        data["bot_token_expires_at"] = installation.bot_token_expires_at
        data["user_id"] = installation.user_id  # who installed; their user token is not kept
        enterprise, team = installation.enterprise_id or "", installation.team_id or ""
        if installation.is_enterprise_install:
            team = ""  # org-wide: one installation for every workspace of the enterprise
        await self.storage.save_slack_installation(
            self.client_id,
            enterprise,
            team,
            bool(installation.is_enterprise_install),
            json.dumps(data),
            data["installed_at"],
        )
        self._bots.pop((enterprise, team), None)
        log.info("Slack workspace %s (enterprise %s) installed studybot", installation.team_id, enterprise or "-")

    async def async_save_bot(self, bot: Bot) -> None:  # the bot is saved with its installation
        return None

    async def _data(self, enterprise_id: str | None, team_id: str | None, org_wide: bool) -> dict[str, Any] | None:
        raw = await self.storage.slack_installation(self.client_id, enterprise_id, None if org_wide else team_id)
        return json.loads(raw) if raw else None

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        key = (enterprise_id or "", "" if is_enterprise_install else team_id or "")
        cached = self._bots.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            self._bots.move_to_end(key)
            return cached[1]
        data = await self._data(enterprise_id, team_id, bool(is_enterprise_install))
        if data is None or not data.get("bot_token"):
            self._bots.pop(key, None)
            return None
        fields = {k: v for k, v in data.items() if k in BOT_FIELDS}
        bot = Bot(**fields, installed_at=data["installed_at"])  # type: ignore[arg-type]
        self._bots[key] = (now + CACHE_SECONDS, bot)
        self._bots.move_to_end(key)
        if len(self._bots) > CACHE:
            self._bots.popitem(last=False)
        return bot

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        data = await self._data(enterprise_id, team_id, bool(is_enterprise_install))
        if data is None:
            return None
        return Installation(**{k: v for k, v in data.items() if k in (*BOT_FIELDS, "user_id", "installed_at")})

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            return  # no user tokens are kept: nothing of a user to delete
        deleted = await self.storage.delete_slack_installation(self.client_id, enterprise_id, team_id)
        self._bots.clear()
        log.info("Slack workspace %s (enterprise %s): installation deleted (%s)", team_id, enterprise_id, deleted)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class SlackOAuthStates(AsyncOAuthStateStore):
    """OAuth states in the database: shared by every process, each consumed once."""

    def __init__(self, storage: Storage, expiration_seconds: int = STATE_SECONDS):
        self.storage = storage
        self.expiration_seconds = expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = time.time()
        await self.storage.issue_oauth_state(state, now + self.expiration_seconds, now)
        return state

    async def async_consume(self, state: str) -> bool:
        ok = await self.storage.consume_oauth_state(state, time.time())
        if not ok:
            log.warning("Slack install refused: an unknown, used or expired OAuth state")
        return ok


class InstalledOnly(AsyncAuthorize):
    """Each request's workspace token from the installation store, without an auth.test per request;
    a workspace that never installed (or uninstalled) is refused with a log line."""

    def __init__(self, installations: SlackInstallations):
        self.installations = installations

    async def __call__(  # type: ignore[override]
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **actor: Any,
    ) -> AuthorizeResult | None:
        org_wide = bool(context.get("is_enterprise_install"))
        bot = await self.installations.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide
        )
        if bot is None:
            log.warning(
                "Slack request refused: workspace %s (enterprise %s) has not installed studybot", team_id, enterprise_id
            )
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id or enterprise_id,
            team_id=bot.team_id or team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id)


def oauth_settings(
    settings: Settings, installations: SlackInstallations, states: SlackOAuthStates
) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        logger=log,
    )
