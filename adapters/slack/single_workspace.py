"""One workspace on one bot token (no OAuth): every request authorized by a single auth.test.

slack-bolt's own single-workspace authorization calls auth.test until the first answer is cached, so
the first burst after a start (a thousand clicks on the morning's question) sent a few hundred
auth.test calls at once and its acks waited on them (bench/slack_http.py). Here every request waits
on the same call, and its answer is kept for the life of the process; a failed call is not kept, so
the next request asks again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("studybot.slack")


class OneWorkspace(AsyncAuthorize):
    def __init__(self, client: AsyncWebClient):
        self.client = client
        self._identity: asyncio.Future[dict[str, Any]] | None = None

    async def identity(self) -> dict[str, Any]:
        """auth.test's answer for the token (team, bot user, bot id), asked once for all callers."""
        if self._identity is None:
            self._identity = asyncio.ensure_future(self._auth_test())
        future = self._identity
        try:
            return await asyncio.shield(future)
        except Exception:
            if self._identity is future:
                self._identity = None  # not kept: the next request asks again
            raise

    async def _auth_test(self) -> dict[str, Any]:
        return dict((await self.client.auth_test()).data)  # type: ignore[arg-type]

    async def __call__(  # type: ignore[override]
        self,
        *,
        context: Any,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **actor: Any,
    ) -> AuthorizeResult:
        found = await self.identity()  # a SlackApiError here is bolt's to answer (a refused token)
        return AuthorizeResult(
            enterprise_id=found.get("enterprise_id"),
            team_id=found.get("team_id"),
            team=found.get("team"),
            url=found.get("url"),
            bot_id=found.get("bot_id"),
            bot_user_id=found.get("user_id"),
            bot_token=self.client.token,
            user_id=user_id,
        )
