"""Slack's Web API rate limits, as the fake applies them: HTTP 429 with Retry-After once a method's budget
is spent.

Source: https://docs.slack.dev/apis/web-api/rate-limits ("Overview" and "Responding to rate limiting
conditions"). Limits apply per method, per app, per workspace; a breach is answered with HTTP 429 and a
``Retry-After`` header giving the seconds to wait. Tiers: Tier 1 1+ per minute, Tier 2 20+, Tier 3 50+,
Tier 4 100+; "sporadic bursts" are welcome. chat.postMessage has a special tier: "generally allows posting
one message per second per channel", with short bursts above that allowed.

Slack publishes only the floor of each tier ("50+"), so the fake uses that floor as a token bucket that
refills at the tier's rate and holds one minute's worth as burst; for chat.postMessage, one message per
second per channel with a burst of 3 (the fake's choice of "short bursts"). Method tiers are each method's
reference page (docs.slack.dev/reference/methods/<method>, "Rate limits").
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIER = {
    "chat.update": 3,  # https://docs.slack.dev/reference/methods/chat.update
    "chat.postEphemeral": 4,  # https://docs.slack.dev/reference/methods/chat.postEphemeral
    "users.info": 4,  # https://docs.slack.dev/reference/methods/users.info
    "views.publish": 4,  # https://docs.slack.dev/reference/methods/views.publish ("Tier 4")
    "views.open": 4,  # https://docs.slack.dev/reference/methods/views.open
    "auth.test": 4,  # https://docs.slack.dev/reference/methods/auth.test ("Special": generous)
    "conversations.history": 3,  # https://docs.slack.dev/reference/methods/conversations.history
    "files.getUploadURLExternal": 4,  # https://docs.slack.dev/reference/methods/files.getUploadURLExternal
    "files.completeUploadExternal": 4,  # https://docs.slack.dev/reference/methods/files.completeUploadExternal
}
POST_MESSAGE_PER_SECOND = 1.0
POST_MESSAGE_BURST = 3


@dataclass
class Bucket:
    capacity: float
    per_second: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class RateLimits:
    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[tuple[str, str, str], Bucket] = {}
        self.enabled = True

    def _bucket(self, key: tuple[str, str, str], capacity: float, per_second: float) -> Bucket:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(capacity, per_second, capacity, self.clock())
        return bucket

    def retry_after(self, team: str, method: str, channel: str = "") -> int | None:
        """Whole seconds to wait (Retry-After is an integer), or None when the call may go through."""
        if not self.enabled:
            return None
        if method == "chat.postMessage":
            bucket = self._bucket((team, method, channel), POST_MESSAGE_BURST, POST_MESSAGE_PER_SECOND)
        else:
            per_minute = TIER_PER_MINUTE[METHOD_TIER.get(method, 2)]
            bucket = self._bucket((team, method, ""), per_minute, per_minute / 60)
        wait = bucket.take(self.clock())
        return max(1, math.ceil(wait)) if wait else None
