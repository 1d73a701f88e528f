"""The interaction endpoints of the fake Discord: the callback (answered within 3 s, once), and the
followups and ``@original`` message of the interaction's webhook (usable only once acknowledged).

Source: docs/interactions/receiving-and-responding.mdx ("Responding to an Interaction", "Followup
Messages", "Endpoints"). None of these is bound to the global rate limit.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.fakes.discord_http import Request, error, is_empty_message, json_response
from tests.fakes.discord_objects import EPHEMERAL, JSON, LOADING, DiscordObjects
from tests.fakes.discord_rules import FormErrors, check_autocomplete, check_message
from tests.fakes.discord_upload_rules import DEFAULT_UPLOAD_LIMIT, TooLarge, check_uploads


class InteractionEndpoints(DiscordObjects):
    # Discord refuses callbacks after 3 s; None turns the check off.
    interaction_deadline: float | None = 3.0

    def __init__(self) -> None:
        super().__init__()
        self.callbacks: dict[int, dict[str, Any]] = {}
        self.followups: list[dict[str, Any]] = []
        # (interaction id, "@original" or message id, body) of PATCHes to interaction webhook messages
        self.webhook_edits: list[tuple[int, str, dict[str, Any]]] = []
        self.deletes: list[tuple[int, int]] = []
        self._interactions: dict[int, JSON] = {}
        self._interaction_sent_at: dict[int, float] = {}
        self._tokens: dict[str, int] = {}
        self._originals: dict[int, int] = {}  # interaction id -> message id that @original names
        self.upload_limit = DEFAULT_UPLOAD_LIMIT  # bytes per file (docs/reference.mdx, "Uploading Files")
        self.uploads: list[tuple[str, str | None, bytes]] = []  # (path, file name, bytes) of accepted files

    def check_files(self, req: Request, errors: FormErrors) -> web.Response | None:
        """The upload rules (tests/fakes/discord_upload_rules.py) on top of the body's: Discord's answer
        when something is refused, else None (and the files are recorded)."""
        try:
            check_uploads(req.json, req.parts, errors, self.upload_limit)
        except TooLarge:
            return error(413, 40005, "Request entity too large")
        if errors:
            return json_response(400, errors.body())
        self.uploads.extend((req.path, part.filename, part.data) for part in req.parts)
        return None

    def remember_interaction(self, payload: JSON) -> None:
        """The fake knows the interaction from the moment it is sent: its id, token and time."""
        iid = int(payload["id"])
        self._interactions[iid] = payload
        self._interaction_sent_at[iid] = time.monotonic()
        self._tokens[payload["token"]] = iid

    async def _callback(self, req: Request) -> web.Response:
        iid = int(req.params["iid"])
        interaction = self._interactions.get(iid)
        sent_at = self._interaction_sent_at.get(iid, 0.0)
        late = self.interaction_deadline is not None and time.monotonic() - sent_at > self.interaction_deadline
        if interaction is None or interaction["token"] != req.params["token"] or late:
            return error(404, 10062, "Unknown interaction")
        if iid in self.callbacks:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body = req.json if isinstance(req.json, dict) else {}
        rtype = body.get("type")
        # Which callback types each interaction type accepts (ping, command, component, autocomplete, modal).
        allowed = {1: {1}, 2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(interaction["type"], set())
        data = body.get("data") or {}
        errors = FormErrors()
        if rtype not in allowed:
            # Approximates Discord's wording; discord.py surfaces only the status and code 50035.
            errors.add(["type"], "BASE_TYPE_CHOICES", f"Value must be one of {sorted(allowed)}.")
        if rtype in (4, 7):
            check_message(data, errors, ["data"], endpoint="callback")
        if rtype == 5:
            check_message(data, errors, ["data"], endpoint="deferred")
        if rtype == 8:
            check_autocomplete(data, errors, ["data"])
        refused = self.check_files(
            Request(req.method, req.path, req.query, data, req.files, req.params, req.template, req.parts), errors
        )
        if refused is not None:
            return refused
        if rtype == 4 and is_empty_message(data, req.files):
            return error(400, 50006, "Cannot send an empty message")
        self.callbacks[iid] = body

        channel_id = int(interaction["channel_id"])
        flags = int(data.get("flags") or 0)
        summary: JSON = {"id": str(iid), "type": interaction["type"]}
        resource: JSON = {"type": rtype}
        if rtype in (4, 5):
            message = self._new_message(
                channel_id,
                data if rtype == 4 else {},
                files=req.files,
                flags=flags | (LOADING if rtype == 5 else 0),
                message_type=20 if interaction["type"] == 2 else 0,  # 20: reply to a slash command
                webhook=True,
            )
            self._messages[int(message["id"])] = message
            self._originals[iid] = int(message["id"])
            summary.update(
                response_message_id=message["id"],
                response_message_loading=rtype == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            resource["message"] = message
        elif rtype in (6, 7) and "message" in interaction:
            mid = int(interaction["message"]["id"])
            message = self._messages.setdefault(mid, dict(interaction["message"]))
            self._originals[iid] = mid
            summary["response_message_id"] = str(mid)
            if rtype == 7:
                resource["message"] = self._edit_message(message, data)
        if req.query.get("with_response", "").lower() in ("1", "true"):
            return json_response(200, {"interaction": summary, "resource": resource})
        return web.Response(status=204)

    def _webhook_interaction(self, req: Request) -> int | None:
        """The interaction behind an app webhook, but only once acknowledged, as on Discord."""
        if int(req.params["app"]) != self.APP_ID:
            return None
        iid = self._tokens.get(req.params["token"])
        if iid is None or iid not in self.callbacks:
            return None
        return iid

    def _webhook_message(self, req: Request, iid: int) -> JSON | None:
        key = req.params["mid"]
        mid = self._originals.get(iid) if key == "@original" else int(key)
        return self._messages.get(mid) if mid is not None else None

    async def _followup(self, req: Request) -> web.Response:
        iid = self._webhook_interaction(req)
        if iid is None:
            return error(404, 10015, "Unknown Webhook")
        if is_empty_message(req.json, req.files):
            return error(400, 50006, "Cannot send an empty message")
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="followup")
        refused = self.check_files(req, errors)
        if refused is not None:
            return refused
        self.followups.append(req.json or {})
        channel_id = int(self._interactions[iid]["channel_id"])
        message = self._new_message(channel_id, req.json, files=req.files, webhook=True)
        self._messages[int(message["id"])] = message
        if req.query.get("wait", "").lower() in ("1", "true"):
            return json_response(200, message)
        return web.Response(status=204)

    def _webhook_target(self, req: Request) -> tuple[int, JSON] | web.Response:
        """The interaction and message a webhook message route names, or Discord's 404 for it."""
        iid = self._webhook_interaction(req)
        if iid is None:
            return error(404, 10015, "Unknown Webhook")
        message = self._webhook_message(req, iid)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return iid, message

    async def _get_webhook_message(self, req: Request) -> web.Response:
        target = self._webhook_target(req)
        if isinstance(target, web.Response):
            return target
        return json_response(200, target[1])

    async def _patch_webhook_message(self, req: Request) -> web.Response:
        target = self._webhook_target(req)
        if isinstance(target, web.Response):
            return target
        iid, message = target
        errors = FormErrors()
        check_message(req.json, errors, [], endpoint="webhook_edit")
        if errors:
            return json_response(400, errors.body())
        self.webhook_edits.append((iid, req.params["mid"], req.json or {}))
        return json_response(200, self._edit_message(message, req.json))

    async def _delete_webhook_message(self, req: Request) -> web.Response:
        target = self._webhook_target(req)
        if isinstance(target, web.Response):
            return target
        message = target[1]
        self._messages.pop(int(message["id"]))
        self.deletes.append((int(message["channel_id"]), int(message["id"])))
        return web.Response(status=204)
