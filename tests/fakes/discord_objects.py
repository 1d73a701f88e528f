"""What Discord's objects look like to discord.py 2.7.1: users, channels, messages, and the interaction
payloads a test sends as if a user had typed a command or clicked a button.

The fake Discord (discord_api.FakeDiscord) builds on this class; it keeps the messages it knows so a
click can carry the real message, whose components discord.py checks before dispatching a DynamicItem.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
# View channel, send messages, embed links, attach files, read history, external emojis, add reactions.
DEFAULT_APP_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 6)
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class _Invoker:
    """Who triggers an interaction and where: the part every payload builder shares."""

    user_id: int = 1001
    channel_id: int = 2001
    permissions: int = 0
    locale: str = "ja"
    user_name: str | None = None
    app_permissions: int = DEFAULT_APP_PERMISSIONS
    guild_id: int | None = None  # None: FakeDiscord.GUILD_ID
    guild_locale: str | None = None  # None: the user's locale


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def walk_components(components: list[JSON], prefix: list[str | int]) -> Iterator[tuple[list[str | int], JSON]]:
    for i, component in enumerate(components):
        path: list[str | int] = [*prefix, i]
        yield path, component
        yield from walk_components(component.get("components") or [], [*path, "components"])
        accessory = component.get("accessory")
        if accessory:
            yield [*path, "accessory"], accessory


class DiscordObjects:
    APP_ID: int = 1_100_000_000_000_000_001
    # Distinct from APP_ID on purpose: code that mixes up the bot user and the application shows up.
    BOT_ID: int = 1_100_000_000_000_000_002
    GUILD_ID: int = 1_100_000_000_000_000_003
    BOT_NAME: str = "studybot"

    def __init__(self) -> None:
        self.rest_base = ""
        self._messages: dict[int, JSON] = {}
        self._command_ids: dict[tuple[int | None, str], int] = {}
        self._last_snowflake = 0

    # ----------------------------------------------------------------- payload builders

    def slash(
        self,
        name: str,
        options: list[dict[str, Any]] | None = None,
        *,
        user_id: int = 1001,
        channel_id: int = 2001,
        permissions: int = 0,
        locale: str = "ja",
        user_name: str | None = None,
        app_permissions: int = DEFAULT_APP_PERMISSIONS,
        guild_id: int | None = None,
        guild_locale: str | None = None,
        command_guild_id: int | None = None,
        resolved: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``command_guild_id`` marks a guild command (``data.guild_id``), which the CommandTree looks up first."""
        who = _Invoker(user_id, channel_id, permissions, locale, user_name, app_permissions, guild_id, guild_locale)
        return self._command(2, name, options or [], who, command_guild_id, resolved)

    def autocomplete(self, name: str, options: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        """Takes slash's keywords. One option needs ``"focused": True``: Discord always marks one and
        discord.py raises without it."""
        command_guild_id = kw.pop("command_guild_id", None)
        resolved = kw.pop("resolved", None)
        return self._command(4, name, options, _Invoker(**kw), command_guild_id, resolved)

    def click(
        self,
        custom_id: str,
        *,
        message_id: int,
        channel_id: int = 2001,
        user_id: int = 1001,
        values: list[str] | None = None,
        component_type: int = 2,
        permissions: int = 0,
        locale: str = "ja",
        user_name: str | None = None,
        app_permissions: int = DEFAULT_APP_PERMISSIONS,
        guild_id: int | None = None,
    ) -> dict[str, Any]:
        """The attached message is the fake's copy when it knows the message (so its components are
        the ones the bot sent); otherwise a message holding just the clicked component is made up and
        remembered, e.g. to click a button posted before a simulated restart."""
        mid = int(message_id)
        message = self._messages.get(mid)
        if message is None:
            message = self._new_message(
                channel_id, {"components": [self._component_for(custom_id, component_type, values)]}, mid=mid
            )
            self._messages[mid] = message
        elif not any(c.get("custom_id") == custom_id for _, c in walk_components(message.get("components") or [], [])):
            raise ValueError(f"message {mid} has no component {custom_id!r}; Discord could not send this click")
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        invoker = _Invoker(
            user_id, int(message["channel_id"]), permissions, locale, user_name, app_permissions, guild_id
        )
        payload = self._interaction(3, data, invoker)
        payload["message"] = dict(message)
        return payload

    def dm_click(self, custom_id: str, *, message: JSON, user_id: int = 1001, locale: str = "ja") -> dict[str, Any]:
        """A click on a button of a direct message the bot sent: per docs/interactions/
        receiving-and-responding.mdx ("Interaction Object"), no guild_id and no member but `user`, and
        context 1 (BOT_DM)."""
        if not any(c.get("custom_id") == custom_id for _, c in walk_components(message.get("components") or [], [])):
            raise ValueError(
                f"message {message['id']} has no component {custom_id!r}; Discord could not send this click"
            )
        iid = self._snowflake()
        channel_id = int(message["channel_id"])
        return {
            "id": str(iid),
            "application_id": str(self.APP_ID),
            "type": 3,
            "data": {"custom_id": custom_id, "component_type": 2},
            "channel_id": str(channel_id),
            "channel": {"id": str(channel_id), "type": 1, "last_message_id": None, "flags": 0},
            "user": self._user(user_id),
            "token": secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(DEFAULT_APP_PERMISSIONS),
            "locale": locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": "0", "1": str(user_id)},
            "context": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "message": dict(message),
        }

    # ----------------------------------------------------------------- internals: ids and objects

    def _snowflake(self) -> int:
        value = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        value = max(value, self._last_snowflake + 1)
        self._last_snowflake = value
        return value

    def _user(self, user_id: int, name: str | None = None) -> JSON:
        name = name or f"user{user_id}"
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "public_flags": 0,
        }

    def _bot_user(self) -> JSON:
        return {**self._user(self.BOT_ID, self.BOT_NAME), "global_name": None, "bot": True}

    def _ready_user(self) -> JSON:
        return {**self._bot_user(), "verified": True, "mfa_enabled": False, "flags": 0, "email": None}

    def _channel(self, channel_id: int, guild_id: int | None = None) -> JSON:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(guild_id or self.GUILD_ID),
            "name": f"channel-{channel_id}",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }

    def _new_message(
        self,
        channel_id: int,
        body: Any,
        *,
        mid: int | None = None,
        files: list[tuple[str, int]] | None = None,
        flags: int | None = None,
        message_type: int = 0,
        webhook: bool = False,
    ) -> JSON:
        body = body if isinstance(body, dict) else {}
        mid = mid if mid is not None else self._snowflake()
        attachments = [
            {
                "id": str(self._snowflake()),
                "filename": name,
                "size": size,
                "url": f"{self.rest_base}/attachments/{channel_id}/{mid}/{name}",
                "proxy_url": f"{self.rest_base}/attachments/{channel_id}/{mid}/{name}",
            }
            for name, size in files or []
        ]
        message: JSON = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": self._bot_user(),
            "content": body.get("content") or "",
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "pinned": False,
            "type": message_type,
            "flags": body.get("flags", 0) if flags is None else flags,
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        if webhook:
            message["webhook_id"] = str(self.APP_ID)
            message["application_id"] = str(self.APP_ID)
        return message

    def _edit_message(self, message: JSON, body: Any) -> JSON:
        if isinstance(body, dict):
            # An explicit null clears a field, as discord.py sends for ``content=None`` / ``view=None``.
            for key, cleared in (("content", ""), ("embeds", []), ("components", []), ("flags", 0)):
                if key in body:
                    message[key] = body[key] if body[key] is not None else cleared
            if "attachments" in body and not body["attachments"]:
                message["attachments"] = []
        message["flags"] = int(message.get("flags") or 0) & ~LOADING
        message["edited_timestamp"] = _now_iso()
        return message

    def _component_for(self, custom_id: str, component_type: int, values: list[str] | None) -> JSON:
        inner: JSON = {"type": component_type, "custom_id": custom_id}
        if component_type == 2:
            inner.update(style=1, label="button")
        elif component_type == 3:
            options = values or ["option"]
            inner.update(options=[{"label": v, "value": v} for v in options], min_values=1, max_values=len(options))
        return {"type": 1, "components": [inner]}

    def _interaction(self, itype: int, data: JSON, who: _Invoker) -> JSON:
        iid = self._snowflake()
        guild_id = who.guild_id or self.GUILD_ID
        return {
            "id": str(iid),
            "application_id": str(self.APP_ID),
            "type": itype,
            "data": data,
            "guild_id": str(guild_id),
            "guild": {"id": str(guild_id), "locale": who.guild_locale or who.locale, "features": []},
            "channel_id": str(who.channel_id),
            "channel": self._channel(who.channel_id, guild_id),
            "member": {
                "user": self._user(who.user_id, who.user_name),
                "roles": [],
                "joined_at": "2024-01-01T00:00:00+00:00",
                "premium_since": None,
                "deaf": False,
                "mute": False,
                "flags": 0,
                "pending": False,
                "nick": None,
                "avatar": None,
                "communication_disabled_until": None,
                "permissions": str(who.permissions),
            },
            "token": secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(who.app_permissions),
            "locale": who.locale,
            "guild_locale": who.guild_locale or who.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }

    def _command(
        self,
        itype: int,
        name: str,
        options: list[JSON],
        who: _Invoker,
        command_guild_id: int | None,
        resolved: JSON | None,
    ) -> JSON:
        key = (command_guild_id, name)
        if key not in self._command_ids:
            self._command_ids[key] = self._snowflake()
        data: JSON = {"id": str(self._command_ids[key]), "name": name, "type": 1, "options": options}
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        if resolved is not None:
            data["resolved"] = resolved
        return self._interaction(itype, data, who)
