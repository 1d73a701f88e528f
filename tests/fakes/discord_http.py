"""HTTP plumbing of the fake Discord: recorded calls, parsed requests, and answers shaped as discord.py
2.7.1 reads them (see discord_api's module docstring for why the content type must be exact)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.discord_upload_rules import Part

JSON = dict[str, Any]


@dataclass
class Call:
    """One REST request as the fake saw it.

    Equality looks at method, path and body only, so tests can write
    ``Call("POST", "/channels/1/messages", {...}) in fake.calls`` without caring about query strings.
    """

    method: str
    path: str
    json: Any = None
    query: dict[str, str] = field(default_factory=dict, compare=False)
    status: int = field(default=0, compare=False)
    files: list[str] = field(default_factory=list, compare=False)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, int]]
    params: dict[str, str]
    template: str = ""  # the route as the rate limits name it, e.g. /channels/{cid}/messages
    parts: list[Part] = field(default_factory=list)  # the uploaded files, with their bytes


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    # Not web.json_response: discord.py needs the content type without a charset (see module doc).
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def error(status: int, code: int, message: str, errors: JSON | None = None) -> web.Response:
    body: JSON = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return json_response(status, body)


def body_of(response: web.Response) -> Any:
    try:
        return json.loads(response.body) if isinstance(response.body, bytes) else None
    except ValueError:
        return None


async def read_body(request: web.Request) -> tuple[Any, list[tuple[str, int]], list[Part]]:
    """discord.py sends JSON, or multipart with ``payload_json`` plus ``files[n]`` when uploading."""
    if request.content_type == "multipart/form-data":
        payload: Any = None
        files: list[tuple[str, int]] = []
        parts: list[Part] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            else:
                data = bytes(await part.read())
                files.append((part.filename or part.name or "file", len(data)))
                content_type = part.headers.get("Content-Type", "")
                parts.append(Part(part.name or "", part.filename, data, content_type))
        return payload, files, parts
    raw = await request.read()
    if not raw:
        return None, [], []
    try:
        return json.loads(raw), [], []
    except ValueError:
        return raw.decode(errors="replace"), [], []


def is_empty_message(body: Any, files: list[tuple[str, int]]) -> bool:
    if files:
        return False
    if not isinstance(body, dict):
        return True
    return not any(body.get(key) for key in ("content", "embeds", "components", "sticker_ids", "poll", "attachments"))
