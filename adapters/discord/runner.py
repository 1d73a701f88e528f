"""Keeps studybot connected to Discord for as long as the process runs.

discord.py's AutoShardedClient asks Discord how many shards to open (GET /gateway/bot) and handles
resumes, reconnects and invalid sessions itself. One close it treats as fatal is 4011, "Sharding
required" (docs/topics/opcodes-and-status-codes.md): Discord says the bot now needs more shards, which
happens to a growing bot on its next connection. That must not take the process down (Slack in the
same process would go with it), so the runner starts a fresh client, which asks for the shard count
again. A fresh client rather than a restarted one: a closed discord.py client has closed its HTTP
session and connector for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import discord
import discord.http

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.pacing import RestPacer
from bot.config import Settings
from bot.core import StudyBot

log = logging.getLogger("studybot.discord")
SHARDING_REQUIRED = 4011
RESHARD_DELAYS = (1.0, 5.0, 15.0, 60.0)  # before each new client after a 4011, the last repeating


class DiscordRunner:
    def __init__(
        self,
        bot: StudyBot,
        settings: Settings,
        prepare: Callable[[DiscordAdapter], None] | None = None,
        **options: Any,
    ):
        """`options` go to every client; `prepare` is called on each new one (tests use it)."""
        self.bot, self.settings, self.options, self.prepare = bot, settings, options, prepare
        if settings.discord_api_url:
            # discord.py reads every REST URL from this class attribute (the gateway's comes from
            # GET /gateway/bot); it has no constructor option for it.
            discord.http.Route.BASE = settings.discord_api_url.rstrip("/")  # type: ignore[misc]
        self.pacer = RestPacer()  # one pace across clients: the global limit is per token
        self.reshards = 0
        self._ready = asyncio.Event()
        self._closing = False
        self.client = self._new_client()

    def _new_client(self) -> DiscordAdapter:
        client = DiscordAdapter(self.bot, self.settings, pacer=self.pacer, **self.options)
        client.on_first_ready = self._ready.set
        if self.prepare is not None:
            self.prepare(client)
        return client

    async def run(self, token: str) -> None:
        """Until close(); raises what discord.py cannot recover from (a bad token, say)."""
        while True:
            client = self.client
            try:
                await client.start(token)
                return
            except discord.ConnectionClosed as exc:
                if exc.code != SHARDING_REQUIRED or self._closing:
                    raise
                if self.settings.discord_shards is not None:
                    log.error(
                        "Discord requires more shards than the %s of STUDYBOT_DISCORD_SHARDS (close 4011): "
                        "raise the count in every process's setting",
                        self.settings.discord_shards[1],
                    )
                    raise
            delay = RESHARD_DELAYS[min(self.reshards, len(RESHARD_DELAYS) - 1)]
            self.reshards += 1
            log.warning("Discord requires more shards (close 4011): reconnecting in %.0f s", delay)
            await client.close()
            await asyncio.sleep(delay)
            if self._closing:
                return
            self.client = self._new_client()

    async def wait_until_ready(self) -> None:
        await self._ready.wait()

    def is_connected(self) -> bool:
        return self.client.is_connected()

    async def close(self) -> None:
        self._closing = True
        await self.client.close()
