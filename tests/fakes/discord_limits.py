"""Discord's REST rate limits, as the fake applies them to every request.

Source for everything here: discord-api-docs ``docs/topics/rate-limits.md`` (sections "Header Format",
"Exceeding A Rate Limit", "Global Rate Limit" and "Invalid Request Limit aka Cloudflare bans"):

- Global limit: 50 requests per second per bot token, over all routes; requests without a bot token
  are limited by IP address (not modelled: every such request here is an interaction endpoint).
  Interaction endpoints (the callback and the ``/webhooks/{application}/{token}`` followups, see
  ``docs/interactions/receiving-and-responding``, "Endpoints") are not bound to it.
- Per-route limits: per route and method, counted separately per top-level resource (channel,
  guild, webhook), described to the client by ``X-RateLimit-Limit/Remaining/Reset/Reset-After/
  Bucket``. Discord does not publish the numbers and tells clients to read the headers, so the
  numbers in ROUTE_LIMITS are the fake's own, chosen near what Discord is widely observed to send
  (5 messages per 5 s per channel).
- A breach: HTTP 429 with ``retry_after`` and ``global`` in the body, ``Retry-After``, and
  ``X-RateLimit-Scope`` (``user`` for a route, ``global``) plus ``X-RateLimit-Global`` on global ones.
- Invalid requests (401, 403, 429 except scope ``shared``): 10,000 per 10 minutes gets the IP
  banned for a while by Cloudflare; a banned client gets 429s that are not Discord's JSON (discord.py
  then raises instead of retrying, as it does against the real ban).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass, field

GLOBAL_PER_SECOND = 50
INVALID_LIMIT = 10_000
INVALID_WINDOW = 600.0
BAN_SECONDS = 3600.0

# (method, route template) -> (requests, per seconds), counted per top-level resource.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{cid}/messages"): (5, 5.0),
    ("PATCH", "/channels/{cid}/messages/{mid}"): (5, 5.0),
    ("DELETE", "/channels/{cid}/messages/{mid}"): (5, 1.0),
    ("POST", "/users/@me/channels"): (10, 1.0),
    ("PUT", "/applications/{app}/commands"): (10, 20.0),
    ("PUT", "/applications/{app}/guilds/{gid}/commands"): (10, 20.0),
    ("POST", "/webhooks/{app}/{token}"): (5, 1.0),
}
DEFAULT_ROUTE_LIMIT = (50, 1.0)


def _ceil_ms(seconds: float) -> float:
    # Rounded up so a client that sleeps exactly this long never arrives before the window ends.
    return max(math.ceil(seconds * 1000) / 1000, 0.001)


@dataclass
class _Bucket:
    """A fixed window, as Discord's Reset/Reset-After headers describe one."""

    limit: int
    per: float
    started: float = -math.inf
    count: int = 0


@dataclass
class Verdict:
    """What the limits say about one request: a 429 to answer (status, body, headers) or the headers a
    served response carries."""

    headers: dict[str, str] = field(default_factory=dict)
    refused: tuple[int, object, dict[str, str]] | None = None


class RateLimits:
    """The fake's limits and what it counted. Times are ``time.monotonic()`` at arrival."""

    def __init__(self) -> None:
        self.enabled = True
        self.global_per_second = GLOBAL_PER_SECOND
        self.route_limits = dict(ROUTE_LIMITS)
        self.invalid_limit = INVALID_LIMIT
        self.ban_seconds = BAN_SECONDS
        self.rate_limited = 0  # 429 answers given (bans included)
        self.global_rate_limited = 0
        self.invalid_requests = 0  # 401/403/429 (not shared) since the start
        self.served = 0  # requests that passed the limits
        self.banned_until = -math.inf
        self._global: deque[float] = deque()  # arrival times of the served bot-token requests, last second
        self._invalid: deque[float] = deque()
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def configure(
        self, global_per_second: int | None = None, routes: dict[tuple[str, str], tuple[int, float]] | None = None
    ) -> None:
        """Tighter limits for a test (faster to hit); windows start afresh."""
        if global_per_second is not None:
            self.global_per_second = global_per_second
        if routes is not None:
            self.route_limits.update(routes)
        self._global.clear()
        self._buckets.clear()

    @property
    def banned(self) -> bool:
        return time.monotonic() < self.banned_until

    def check(self, method: str, template: str, major: str, bot_token: bool, now: float | None = None) -> Verdict:
        """Count one request, arrived at `now`, against its route bucket and, with a bot token, the
        global limit."""
        now = time.monotonic() if now is None else now
        if now < self.banned_until:
            self.rate_limited += 1
            body = "<html><body>You are being blocked from accessing our API temporarily.</body></html>"
            return Verdict(refused=(429, body, {"Content-Type": "text/html", "Retry-After": "3600"}))
        if not self.enabled:
            self.served += 1
            return Verdict()
        limit, per = self.route_limits.get((method, template), DEFAULT_ROUTE_LIMIT)
        bucket = self._buckets.setdefault((method, template, major), _Bucket(limit, per))
        if now - bucket.started >= bucket.per:
            bucket.started, bucket.count = now, 0
        reset_after = _ceil_ms(bucket.per - (now - bucket.started))
        route_headers = {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            # Names the limit, not the resource: the same for every channel (see the docs' header list).
            "X-RateLimit-Bucket": hashlib.md5(f"{method} {template}".encode()).hexdigest(),
        }
        if bot_token:
            while self._global and now - self._global[0] >= 1.0:
                self._global.popleft()
            if len(self._global) >= self.global_per_second:
                retry = _ceil_ms(1.0 - (now - self._global[0]))
                self.global_rate_limited += 1
                return self._too_many(retry, True, {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"})
        if bucket.count >= bucket.limit:
            headers = {**route_headers, "X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"}
            return self._too_many(reset_after, False, headers)
        bucket.count += 1
        if bot_token:
            self._global.append(now)
        self.served += 1
        return Verdict(headers={**route_headers, "X-RateLimit-Remaining": str(bucket.limit - bucket.count)})

    def _too_many(self, retry_after: float, is_global: bool, headers: dict[str, str]) -> Verdict:
        self.rate_limited += 1
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        # Via: Discord's answers carry it; without it discord.py takes a 429 for a Cloudflare ban.
        headers = {**headers, "Retry-After": str(math.ceil(retry_after)), "Via": "1.1 google"}
        return Verdict(refused=(429, body, headers))

    def answered(self, status: int, headers: dict[str, str]) -> None:
        """Count an invalid request; past the limit within the window, the client is banned."""
        if status not in (401, 403, 429) or headers.get("X-RateLimit-Scope") == "shared":
            return
        if status == 429 and "Via" not in headers:
            return  # the ban's own answers
        now = time.monotonic()
        self.invalid_requests += 1
        self._invalid.append(now)
        while self._invalid and now - self._invalid[0] >= INVALID_WINDOW:
            self._invalid.popleft()
        if len(self._invalid) >= self.invalid_limit:
            self.banned_until = now + self.ban_seconds

    def invalid_in_window(self) -> int:
        now = time.monotonic()
        return sum(1 for t in self._invalid if now - t < INVALID_WINDOW)
