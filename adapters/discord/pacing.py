"""One pace for every REST request the bot makes to Discord, under Discord's global rate limit.

Discord allows a bot 50 requests per second over all routes (docs/topics/rate-limits.md, "Global
Rate Limit"). discord.py reads the per-route ``X-RateLimit-*`` headers and waits on an exhausted
bucket before sending, but for the global limit it only reacts to 429s, and gives a request up after
five of them. A daily schedule fires for every channel at 09:00:00 and reveals them all at 17:00:00,
so without pacing a large bot bounces off the global limit by the thousand (and 10,000 invalid
requests in 10 minutes get its IP banned by Cloudflare).

The pacer sits where every request of discord.py's HTTP session passes: aiohttp's request-start
trace signal (``discord.Client(http_trace=...)``, a public option of both libraries), which aiohttp
awaits before it sends. Requests that carry the bot token wait for a place in a sliding one-second
window; interaction callbacks and followups are not bound to the global limit and go straight
through. A 429 that Discord still sends (another process on the same token, a stricter limit than
documented) pauses the pacer for its Retry-After, and is counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import SimpleNamespace

import aiohttp

log = logging.getLogger("studybot.discord")

GLOBAL_PER_SECOND = 50  # docs/topics/rate-limits.md, "Global Rate Limit"
# A request sent a second after another can arrive a little less than a second after it (network
# jitter, a busy event loop): a slightly longer window keeps arrivals under the limit too.
WINDOW_SECONDS = 1.04
# Requests that may leave at once; beyond them the pace is even. Fifty at once (all the window allows)
# arrive bunched, and a server that counts them late counts the next second's as too close.
BURST = 10


class _Slot:
    """One paced request's place in the window: taken when it may go, stamped when it really went."""

    __slots__ = ("sent_at",)

    def __init__(self) -> None:
        self.sent_at: float | None = None  # None: allowed, not on the wire yet (counts as now)


class RestPacer:
    def __init__(self, per_second: int = GLOBAL_PER_SECOND, window: float = WINDOW_SECONDS, burst: int = BURST):
        self.per_second = per_second
        self.window = window
        self.burst = burst
        self._spacing = window / per_second  # beyond a burst, one request per this many seconds
        self._next_free = 0.0  # when the smoothing lets the next request go
        self.sent = 0  # requests that went through the pacer
        self.rate_limited = 0  # 429 answers seen (any scope)
        self.waited = 0.0  # seconds requests spent waiting for their turn, all together
        self._slots: deque[_Slot] = deque()  # the last `per_second` requests allowed
        self._turn = asyncio.Lock()
        self._paused_until = 0.0

    async def wait_turn(self) -> _Slot:
        """Return once one more request fits in the window; waiters go in arrival order.

        A request counts from when it was really sent (its headers, then the last of its body), not from
        when it was allowed: with a busy event loop the two can be 100 ms apart, and a window counted
        from the permission would let the next second's requests arrive less than a second after these.
        """
        loop = asyncio.get_running_loop()
        asked = loop.time()
        async with self._turn:
            while True:
                now = loop.time()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                gone = [s for s in self._slots if s.sent_at is not None and now - s.sent_at >= self.window]
                for slot in gone:
                    self._slots.remove(slot)
                if len(self._slots) < self.per_second and now >= self._next_free:
                    break
                if len(self._slots) < self.per_second:
                    await asyncio.sleep(self._next_free - now)
                    continue
                stamped = [s.sent_at for s in self._slots if s.sent_at is not None]
                # Every place is taken by a request still on its way out: wait a moment for one to go.
                await asyncio.sleep(self.window - (now - min(stamped)) if stamped else 0.005)
            slot = _Slot()
            self._slots.append(slot)
            # A burst may go at once; after it, requests are spread evenly over the window.
            self._next_free = max(self._next_free, now - self.burst * self._spacing) + self._spacing
        self.sent += 1
        self.waited += now - asked
        return slot

    def rate_limited_for(self, seconds: float, is_global: bool) -> None:
        self.rate_limited += 1
        if is_global:
            loop = asyncio.get_running_loop()
            self._paused_until = max(self._paused_until, loop.time() + seconds)
            log.warning("Discord's global rate limit was hit; pausing every request for %.2f s", seconds)

    def trace(self) -> aiohttp.TraceConfig:
        """The trace configuration to hand to discord.Client(http_trace=...)."""
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_request_start)
        config.on_request_headers_sent.append(self._on_sent)
        # aiohttp may hold the headers back and send them with the body, from a task of its own that a
        # busy loop runs later: the last piece of the body is when the request really left.
        config.on_request_chunk_sent.append(self._on_body_sent)
        config.on_request_exception.append(self._on_sent)  # never sent, or failed on the way: free it in time
        config.on_request_end.append(self._on_request_end)
        return config

    async def _on_request_start(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        context.slot = None
        if counts_against_global_limit(params.url.path, params.headers.get("Authorization", "")):
            context.slot = await self.wait_turn()

    async def _on_sent(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: object) -> None:
        slot = getattr(context, "slot", None)
        if slot is not None and slot.sent_at is None:
            slot.sent_at = asyncio.get_running_loop().time()

    async def _on_body_sent(self, session: aiohttp.ClientSession, context: SimpleNamespace, params: object) -> None:
        slot = getattr(context, "slot", None)
        if slot is not None:
            slot.sent_at = asyncio.get_running_loop().time()

    async def _on_request_end(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        await self._on_sent(session, context, params)
        response = params.response
        if response.status != 429:
            return
        headers = response.headers
        try:
            retry_after = float(headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
        self.rate_limited_for(retry_after, headers.get("X-RateLimit-Scope") == "global")


def counts_against_global_limit(path: str, authorization: str) -> bool:
    """Requests made with the bot token, except the interaction endpoints (callbacks and the
    /webhooks/{application}/{token} followups), which Discord exempts from the global limit."""
    if not authorization.startswith("Bot "):
        return False
    return "/interactions/" not in path and "/webhooks/" not in path
