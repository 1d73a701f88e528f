"""Acknowledging Slack in time whatever storage does, and answering through `response_url` after.

Slack wants every slash command and interaction acknowledged (HTTP 200) within 3 seconds, or it shows
the user an error; the real answer may come later through the request's `response_url`, which takes
up to five messages within 30 minutes
(https://docs.slack.dev/interactivity/handling-user-interaction/#acknowledgment_response).

So the work (recording an answer, running a command) starts at once; if it finishes within the ack
wait (Settings.slack_ack_seconds, about 2 s) the ack goes out and the reply follows as before; if it
does not (the database is locked by another process, a slow disk), the request is acknowledged
anyway and the reply follows when the work is done. The work runs exactly once either way, so an
acknowledged answer is neither lost nor counted twice.

Nothing may escape from a listener after its ack: slack-bolt's async runner then resets the ack
(`ack.response = None` in AsyncioListenerRunner) and Slack gets an HTTP 404 three seconds later,
although the request was acknowledged. Any failure therefore becomes a message to the user, in the
user's language, through `response_url`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("studybot.slack")

Message = dict[str, Any]


async def ack_in_time(
    ack: Callable[[], Awaitable[Any]],
    work: Awaitable[Message | None],
    deliver: Callable[[Message], Awaitable[None]],
    failed: Callable[[BaseException], Message],
    wait: float,
) -> None:
    """Run `work`; ack within `wait` seconds whether or not it is done; `deliver` what it returns
    (None: nothing to say), or `failed(exc)` when it raised. Never raises."""
    task: asyncio.Future[Message | None] = asyncio.ensure_future(work)
    acked = False
    message: Message | None
    try:
        done, _ = await asyncio.wait({task}, timeout=wait)
        await ack()
        acked = True
        if not done:
            log.info("acknowledged after %.1f s with the work still running; its reply follows", wait)
        message = await task
    except Exception as exc:
        log.exception("a Slack request failed; the user is told through response_url")
        message = failed(exc)
        if not acked:
            try:
                await ack()
            except Exception:
                log.exception("could not acknowledge the Slack request")
    if message is None:
        return
    try:
        await deliver(message)
    except Exception:
        log.exception("could not deliver the reply through response_url")
