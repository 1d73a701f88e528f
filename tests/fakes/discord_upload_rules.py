"""What Discord refuses in a file upload: the multipart parts, their size, the ``attachments`` list and
``attachment://`` references in embeds. Used by every fake endpoint that creates a message.

Source: docs/reference.mdx, "Uploading Files" (retrieved 2026-08): https://discord.com/developers/docs/reference#uploading-files
- "The file upload size limit applies to each file in a request. The default limit is 10 MiB for all
  users" (higher by Nitro or boosts; interactions carry ``attachment_size_limit``, the maximum). Above
  it Discord answers 413 with code 40005 "Request entity too large" (docs/topics/opcodes-and-status-
  codes.md, JSON error codes; the same answer is quoted in discord/discord-api-docs#6058).
- "All files[n] parameters must include a valid Content-Disposition subpart header with a filename and
  unique name parameter. Each file parameter must be uniquely named in the format files[n]"; the n is
  the snowflake placeholder the ``attachments`` field refers to by ``id``.
- "Images can also be referenced in embeds using the attachment://filename URL", and "Only .jpg, .jpeg,
  .png, .webp, and .gif may be used at this time."

Stricter than Discord (marked "ours"): an ``attachment://`` URL naming no file of the request is refused
here; Discord accepts the message and shows no image, a bug a test should see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.discord_form import FormErrors

DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024  # bytes per file
EMBED_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif")
FILE_FIELD = re.compile(r"files\[(\d+)\]")


@dataclass(frozen=True)
class Part:
    """One part of a multipart body other than payload_json."""

    field: str
    filename: str | None
    data: bytes
    content_type: str = ""


class TooLarge(Exception):
    """A file above the limit: Discord answers 413 / 40005 for the whole request."""


def check_uploads(body: Any, parts: list[Part], errors: FormErrors, limit: int = DEFAULT_UPLOAD_LIMIT) -> None:
    """Record what Discord refuses about the files of one request (raises TooLarge for a 413)."""
    placeholders: dict[str, Part] = {}
    for k, part in enumerate(parts):
        match = FILE_FIELD.fullmatch(part.field)
        if match is None:
            # Approximated code: Discord's wording for a part it does not know is not documented.
            errors.add(["files", k], "UNKNOWN_FIELD", f"Unknown multipart field {part.field!r}; files go in files[n]")
            continue
        if part.field in placeholders:
            errors.add(["files", k], "DUPLICATE_FIELD", f"{part.field} is sent twice")  # approximated code
        if not part.filename:
            errors.add(["files", k], "FILE_NAME_REQUIRED", "Every files[n] part needs a filename")  # approximated
        if len(part.data) > limit:
            raise TooLarge(f"{part.field} is {len(part.data)} bytes, above the limit of {limit}")
        placeholders[match[1]] = part
    payload = body if isinstance(body, dict) else {}
    names = {p.filename for p in placeholders.values() if p.filename}
    for k, attachment in enumerate(payload.get("attachments") or []):
        if not isinstance(attachment, dict):
            continue
        ident = str(attachment.get("id"))
        # A new file's id is its files[n] placeholder; a bigger number names an existing attachment (an
        # edit), which no create call here has.
        if ident not in placeholders:
            errors.add(["attachments", k, "id"], "ATTACHMENT_NOT_FOUND", f"No files[{ident}] in this request")
        elif attachment.get("filename") not in (None, placeholders[ident].filename):
            # ours: discord.py always sends the part's own name
            errors.add(["attachments", k, "filename"], "ATTACHMENT_FILENAME_MISMATCH", "Not the name of the part")
    for e, embed in enumerate(payload.get("embeds") or []):
        if not isinstance(embed, dict):
            continue
        for key in ("image", "thumbnail"):
            url = str((embed.get(key) or {}).get("url") or "")
            if not url.startswith("attachment://"):
                continue
            name = url.removeprefix("attachment://")
            path = ["embeds", e, key, "url"]
            if not name.lower().endswith(EMBED_IMAGE_EXTENSIONS):
                errors.add(path, "EMBED_ATTACHMENT_TYPE", "Only .jpg, .jpeg, .png, .webp and .gif can be embedded")
            if name not in names:  # ours (see the module docstring)
                errors.add(path, "EMBED_ATTACHMENT_UNKNOWN", f"No uploaded file is named {name!r}")
