"""Acknowledging Slack in time whatever storage does, and answering through `response_url` after.

Slack wants every slash command and interaction acknowledged (HTTP 200) within 3 seconds, or it shows
the user an error; the real answer may come later through the request's `response_url`, which takes
up to five messages within 30 minutes
(https://docs.slack.dev/interactivity/handling-user-interaction/#acknowledgment_response).

Slack-bolt's default (process_before_response=False) polls every 10 ms for each request's ack; with
1,000 clicks waiting at once that was 100,000 wake-ups a second, most of the event loop's time. So
the app runs with process_before_response=True, and the listener returns right after its ack.

The work (recording an answer, running a command) starts at once; if it finishes within the ack
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


class Background:
    """Tasks that outlive the request they came with (replies, event handling): kept referenced so
    they are not collected, and awaited at shutdown so an acknowledged answer's reply still goes out."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace: float) -> None:
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()


async def ack_in_time(
    ack: Callable[[], Awaitable[Any]],
    work: Awaitable[Message | None],
    deliver: Callable[[Message], Awaitable[None]],
    failed: Callable[[BaseException], Message],
    wait: float,
    background: Background,
) -> None:
    """Run `work`; ack within `wait` seconds whether or not it is done, and return: the HTTP response
    goes out at once (Bolt runs with process_before_response, so it never polls for the ack). What
    `work` returns is delivered in the background (None: nothing to say), or `failed(exc)` when it
    raised. Never raises."""
    task: asyncio.Future[Message | None] = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=wait)
        if not done:
            log.info("acknowledged after %.1f s with the work still running; its reply follows", wait)
    finally:
        try:
            await ack()
        except Exception:
            log.exception("could not acknowledge the Slack request")
    background.spawn(_reply_when_done(task, deliver, failed))


async def _reply_when_done(
    task: asyncio.Future[Message | None],
    deliver: Callable[[Message], Awaitable[None]],
    failed: Callable[[BaseException], Message],
) -> None:
    message: Message | None
    try:
        message = await task
    except Exception as exc:
        log.exception("a Slack request failed; the user is told through response_url")
        message = failed(exc)
    if message is None:
        return
    try:
        await deliver(message)
    except Exception:
        log.exception("could not deliver the reply through response_url")
