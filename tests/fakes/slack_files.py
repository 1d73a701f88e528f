"""Slack's external file upload (what slack_sdk's files_upload_v2 calls), as the fake plays it.

Source: https://docs.slack.dev/reference/methods/files.getUploadURLExternal and
https://docs.slack.dev/reference/methods/files.completeUploadExternal (retrieved 2026-08):
1. files.getUploadURLExternal(filename, length) returns an ``upload_url`` and a ``file_id``; both
   arguments are required, and "missing_argument ... Typically only occurs when the length provided is
   0". ``alt_txt`` is at most 1,000 characters (error ``alt_txt_too_large``).
2. The bytes are POSTed to the upload URL (raw, or multipart form); Slack answers HTTP 200.
3. files.completeUploadExternal(files=[{id, title}], channel_id?, initial_comment?, thread_ts?)
   finishes it: "Channel ID where the file will be shared. If not specified the file will be
   private." Both methods need the bot scope ``files:write`` and are Tier 4.

Stricter than Slack (marked "ours"): bytes that are not the announced ``length`` are refused at the
upload URL with HTTP 400, and completing a file whose bytes never arrived is refused with
``file_not_found`` (Slack processes files asynchronously and would show a broken file instead).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.slack_rules import MESSAGE_TEXT, check_message, unescaped

ALT_TEXT = 1000
FILE_SCOPE = "files:write"


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    alt_txt: str = ""
    data: bytes | None = None
    title: str = ""
    shared_in: list[str] = field(default_factory=list)
    initial_comment: str = ""
    blocks: list[Any] | None = None
    completed: bool = False


class FileUploads:
    """The fake's half of files_upload_v2: which files were announced, uploaded and shared."""

    def __init__(self) -> None:
        self.uploads: dict[str, Upload] = {}
        self.base = ""

    def get_upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        filename = str(body.get("filename") or "")
        try:
            length = int(body.get("length") or 0)
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not filename or length <= 0:
            return {"ok": False, "error": "missing_argument"}
        alt = str(body.get("alt_txt") or "")
        if len(alt) > ALT_TEXT:
            return {"ok": False, "error": "alt_txt_too_large"}
        file_id = f"F{len(self.uploads) + 1:08d}"
        self.uploads[file_id] = Upload(file_id, filename, length, alt)
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    async def receive(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        if request.content_type == "multipart/form-data":
            data = b""
            async for part in await request.multipart():
                data = bytes(await part.read())  # type: ignore[union-attr]
        else:
            data = await request.read()
        if len(data) != upload.length:  # ours (see the module docstring)
            return web.Response(status=400, text=f"expected {upload.length} bytes, got {len(data)}")
        upload.data = data
        return web.Response(status=200, text=f"OK - {len(data)}")

    def complete(self, body: dict[str, Any], gone: dict[str, str]) -> dict[str, Any]:
        try:
            files = json.loads(body["files"]) if isinstance(body.get("files"), str) else body.get("files")
        except (KeyError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(body.get("channel_id") or "")
        if channel in gone:
            return {"ok": False, "error": gone[channel]}
        comment = str(body.get("initial_comment") or "")
        if len(comment) > MESSAGE_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        if comment and unescaped(comment) is not None:  # as for chat.postMessage (slack_rules.py)
            return {"ok": False, "error": "unescaped_text"}
        blocks = body.get("blocks")
        if blocks is not None:  # "A JSON-based array of structured rich text blocks": the message rules
            refusal = check_message({"blocks": blocks})
            if refusal is not None:
                return refusal
        done = []
        for item in files:
            upload = self.uploads.get(str(item.get("id"))) if isinstance(item, dict) else None
            if upload is None or upload.data is None or upload.completed:  # ours: bytes never arrived
                return {"ok": False, "error": "file_not_found"}
            done.append((upload, str(item.get("title") or upload.filename)))
        shared = []
        for upload, title in done:
            upload.completed, upload.title, upload.initial_comment = True, title, comment
            upload.blocks = blocks if isinstance(blocks, list) else None
            if channel:
                upload.shared_in.append(channel)
            shared.append({"id": upload.file_id, "name": upload.filename, "title": title})
        return {"ok": True, "files": shared}

    def shared_in(self, channel: str) -> list[Upload]:
        return [u for u in self.uploads.values() if channel in u.shared_in]
