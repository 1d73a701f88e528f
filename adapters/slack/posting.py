"""The daily question's messages on Slack: sent once, found again instead of resent, and the admin told
when the channel is lost.

A post may reach Slack although its reply never comes back (a 5xx after Slack stored it, a dropped
connection). slack_sdk's retry handlers would then post it again on their own, and the core's retry
once more: two or three copies, only the last ever revealed. So message posts are never retried at
the HTTP level (a 429 is: Slack refused it, https://docs.slack.dev/apis/web-api/rate-limits), and the
core's retry first asks the channel (conversations.history) whether the bot's message for the post is
there. Each message carries its post's id as message metadata
(https://docs.slack.dev/messaging/message-metadata), and its buttons' block_id names it too.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.daily_posts import ChannelUnavailable
from bot.models import Post

log = logging.getLogger("studybot.slack")
METADATA_TYPE = "studybot_post"
# Methods that create a message: resending one whose reply was lost would post it twice.
NOT_RETRIED = (
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.scheduleMessage",
    "chat.meMessage",
    "files.completeUploadExternal",  # shares a file in a channel: a message too
)
# Errors that mean the bot cannot post in the channel any more: retrying daily would fail daily.
CHANNEL_GONE = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# What admins are told (bot/daily_posts.py ChannelUnavailable.reason): removed or forbidden, or gone.
GONE_REASON = {
    "not_in_channel": "forbidden",
    "restricted_action": "forbidden",
    "channel_not_found": "gone",
    "is_archived": "gone",
}
HISTORY_PAGES = 5  # pages of 200 messages read back from the post's claim: a busy channel's day


def creates_message(request: HttpRequest) -> bool:
    return request.url.rstrip("/").rsplit("/", 1)[-1] in NOT_RETRIED


class _ExceptMessagePosts(AsyncRetryHandler):
    """Another handler's retries, except for the calls that create messages."""

    def __init__(self, inner: AsyncRetryHandler):
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner

    async def _can_retry_async(self, *, state: Any, request: HttpRequest, response: Any = None, error: Any = None):  # type: ignore[no-untyped-def]
        if creates_message(request):
            return False
        return await self.inner._can_retry_async(state=state, request=request, response=response, error=error)


def retry_handlers() -> list[AsyncRetryHandler]:
    """429 (honouring Retry-After) for every call; 5xx and connection errors except for message posts."""
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        _ExceptMessagePosts(AsyncServerErrorRetryHandler(max_retry_count=2)),
        _ExceptMessagePosts(AsyncConnectionErrorRetryHandler(max_retry_count=1)),
    ]


def web_client(token: str | None, base_url: str) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=retry_handlers())


def post_metadata(post: Post) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"post_id": post.id}}


def names_post(message: dict[str, Any], post: Post, bot_user: str | None) -> bool:
    """The bot's own message for this post (a user's message can hold neither our metadata nor blocks)."""
    if not message.get("bot_id") or (bot_user and message.get("user") not in (None, bot_user)):
        return False
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") == METADATA_TYPE and metadata.get("event_payload", {}).get("post_id") == post.id:
        return True
    return any(block.get("block_id") == f"sb:q:{post.id}" for block in message.get("blocks") or [])


async def post_message(client: AsyncWebClient, channel_id: str, **message: Any) -> str:
    """chat.postMessage, once; a channel the bot lost raises ChannelUnavailable."""
    try:
        response = await client.chat_postMessage(channel=channel_id, **message)
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        if error in CHANNEL_GONE:
            raise ChannelUnavailable(f"Slack channel {channel_id}: {error}", GONE_REASON[error]) from exc
        raise
    return str(response["ts"])


async def find_message(client: AsyncWebClient, channel_id: str, post: Post, bot_user: str | None) -> str | None:
    """The ts of the bot's message for `post` in the channel since shortly before its claim, or None.
    Raises (for the core to try later) when the history cannot be read."""
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        try:
            page = await client.conversations_history(
                channel=channel_id,
                oldest=f"{post.posted_at - 60:.6f}",
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            )
        except SlackApiError as exc:
            error = exc.response.get("error", "")
            if error in CHANNEL_GONE:
                raise ChannelUnavailable(f"Slack channel {channel_id}: {error}", GONE_REASON[error]) from exc
            raise
        for message in page.get("messages") or []:
            if names_post(message, post, bot_user):
                return str(message["ts"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return None
    log.warning("post %s: not found in the last %s pages of channel %s", post.id, HISTORY_PAGES, channel_id)
    return None
