"""The gateway side of the fake Discord: sessions per shard, RESUME replay, INVALID_SESSION, RECONNECT
and the close codes a sharded bot must survive.

Sources: discord-api-docs ``docs/topics/gateway.md`` ("Connecting", "Resuming", "Sharding") and
``docs/topics/opcodes-and-status-codes.md`` ("Gateway Close Event Codes"):

- IDENTIFY may carry ``shard: [shard_id, num_shards]``; a guild's events go to shard
  ``(guild_id >> 22) % num_shards``, and so do interactions from that guild.
- Close 4010 "Invalid shard" and 4011 "Sharding required" (the session would hold too many guilds:
  the bot must connect with more shards) are not resumable.
- Op 7 RECONNECT asks the client to reconnect and resume; op 9 INVALID_SESSION with ``d: false``
  means identify again.

Facts about discord.py 2.7.1 this relies on: text frames are never decompressed, so no zlib is needed
although the client asks for ``compress=zlib-stream``; ``on_ready`` waits ``guild_ready_timeout``
(default 2 s) even with ``guilds: []``.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

JSON = dict[str, Any]


@dataclass
class _Session:
    """A shard's session survives a dropped socket so RESUME can replay what the client missed."""

    id: str
    shard: tuple[int, int]
    seq: int = 0
    frames: list[JSON] = field(default_factory=list)
    live: web.WebSocketResponse | None = None
    fail_next_resume: bool = False


class FakeGateway:
    """Every shard's connection. ``recommended_shards`` is what GET /gateway/bot advises;
    ``required_shards`` is the fewest Discord accepts: IDENTIFY with fewer is closed with 4011."""

    def __init__(self, ready_user: JSON, application_id: int) -> None:
        self.url = ""
        self.recommended_shards = 1
        self.required_shards = 1
        self.identify_payloads: list[JSON] = []
        self.connections: list[dict[str, str]] = []  # path and query of every connection
        self.closes: list[int] = []  # close codes the fake sent
        self.identifies = 0
        self.resumes = 0
        self.invalid_sessions = 0
        self.heartbeats = 0
        self._ready_user = ready_user
        self._application_id = application_id
        self._sessions: dict[int, _Session] = {}  # shard id -> its current session
        self._sockets: set[web.WebSocketResponse] = set()
        self._send_lock = asyncio.Lock()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- what tests look at

    @property
    def shards(self) -> dict[int, int]:
        """Shard id -> shard count of every session with a live connection."""
        return {sid: s.shard[1] for sid, s in self._sessions.items() if s.live is not None}

    def ready(self) -> bool:
        return bool(self._sessions) and all(s.live is not None for s in self._sessions.values())

    async def wait_ready(self, within: float = 5, shards: int = 1) -> None:
        """Until `shards` sessions are connected (READY or RESUMED)."""

        async def connected() -> None:
            while len(self.shards) < shards or not self.ready():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(connected(), within)
        except TimeoutError:
            raise AssertionError(
                f"no client got READY/RESUMED on {shards} shard(s) within {within}s (identifies="
                f"{self.identifies}, resumes={self.resumes}, closes={self.closes}, connections={self.connections})"
            ) from None

    def shard_for(self, guild_id: int | None) -> _Session:
        if not self._sessions:
            raise RuntimeError("no gateway session: start the client and await wait_ready() first")
        count = next(iter(self._sessions.values())).shard[1]
        shard_id = ((guild_id or 0) >> 22) % count
        session = self._sessions.get(shard_id)
        if session is None:
            raise RuntimeError(f"no session for shard {shard_id} of {count}")
        return session

    # ----------------------------------------------------------------- what tests do

    async def dispatch(self, event: str, data: Any, guild_id: int | None = None) -> None:
        """An op 0 event on the guild's shard; kept for replay while that shard's socket is down."""
        session = self.shard_for(guild_id)
        async with self._send_lock:
            frame = self._next_frame(session, event, data)
            if session.live is not None:
                await session.live.send_str(json.dumps(frame))

    async def drop_connection(self, *, resumable: bool = True, shard_id: int = 0) -> None:
        session = self._sessions.get(shard_id)
        if session is None or session.live is None:
            raise RuntimeError(f"shard {shard_id} is not connected")
        ws, session.live = session.live, None
        session.fail_next_resume = not resumable
        self._changed.set()
        # 4000 is "unknown error, reconnect": discord.py resumes after any close code but its own 1000,
        # 4004 and 4010-4014, which it treats as fatal.
        await ws.close(code=4000, message=b"fake dropped the connection")

    async def request_reconnect(self, shard_id: int = 0) -> None:
        """Op 7: Discord asks the shard to reconnect and resume (as it does before moving it)."""
        session = self._sessions[shard_id]
        if session.live is None:
            raise RuntimeError(f"shard {shard_id} is not connected")
        await self._send(session.live, {"op": 7, "d": None, "s": None, "t": None})

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"fake stopping")

    # ----------------------------------------------------------------- the connection

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.connections.append({"path": request.path, **request.query})
        self._sockets.add(ws)
        try:
            await self._send(ws, {"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            for session in self._sessions.values():
                if session.live is ws:
                    session.live = None
                    self._changed.set()
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: JSON) -> None:
        op = frame.get("op")
        if op == 1:
            self.heartbeats += 1
            await self._send(ws, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(ws, frame["d"])
        elif op == 6:
            await self._resume(ws, frame["d"])

    async def _identify(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.identifies += 1
        self.identify_payloads.append(data)
        shard_id, count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < count:
            await self._close(ws, 4010, "Invalid shard")
            return
        if count < self.required_shards:
            await self._close(ws, 4011, "Sharding required")
            return
        if any(s.shard[1] != count for s in self._sessions.values()):
            self._sessions.clear()  # the bot came back with a new shard count: old sessions are gone
        # A new session starts counting at 1, as on Discord; a RESUME continues the old count.
        session = _Session(id=secrets.token_hex(16), shard=(shard_id, count))
        self._sessions[shard_id] = session
        ready: JSON = {
            "v": 10,
            "user": self._ready_user,
            "guilds": [],
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.url + "/resume",
            "application": {"id": str(self._application_id), "flags": 0},
            "shard": [shard_id, count],
        }
        async with self._send_lock:
            await ws.send_str(json.dumps(self._next_frame(session, "READY", ready)))
            session.live = ws
        self._changed.set()

    async def _resume(self, ws: web.WebSocketResponse, data: JSON) -> None:
        self.resumes += 1
        session = next((s for s in self._sessions.values() if s.id == data.get("session_id")), None)
        if session is None or session.fail_next_resume:
            if session is not None:
                del self._sessions[session.shard[0]]
            self.invalid_sessions += 1
            await self._send(ws, {"op": 9, "d": False, "s": None, "t": None})
            return
        client_seq = data.get("seq") or 0
        async with self._send_lock:
            # Replay under the lock so a dispatch racing the resume is neither lost nor reordered.
            for frame in session.frames:
                if frame["s"] > client_seq:
                    await ws.send_str(json.dumps(frame))
            await ws.send_str(json.dumps(self._next_frame(session, "RESUMED", {})))
            session.live = ws
        self._changed.set()

    async def _close(self, ws: web.WebSocketResponse, code: int, reason: str) -> None:
        self.closes.append(code)
        if code == 4011:  # Discord's recommendation (GET /gateway/bot) follows its guild count
            self.recommended_shards = max(self.recommended_shards, self.required_shards)
        await ws.close(code=code, message=reason.encode())

    def _next_frame(self, session: _Session, event: str, data: Any) -> JSON:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.frames.append(frame)
        return frame

    async def _send(self, ws: web.WebSocketResponse, frame: JSON) -> None:
        async with self._send_lock:
            await ws.send_str(json.dumps(frame))
