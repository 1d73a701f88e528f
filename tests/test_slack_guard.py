"""Malformed and unsigned requests into the running Slack adapter: 400 or 401 with one WARNING line, never
a 500 or a traceback, and nothing stored under an empty id. The signatures are computed here, by hand, with
the v0 HMAC Slack documents (https://docs.slack.dev/authentication/verifying-requests-from-slack)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import sqlite3
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.slack_api import TEAM
from tests.test_slack import SECRET, daily_post, fake, slack  # noqa: F401  (fixtures)


def sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


async def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.text()


def signed(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(body, ts)}


def click(**changes) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "u1", "team_id": TEAM},
        "team": {"id": TEAM},
        "channel": {"id": "C1"},
        "container": {"type": "message", "message_ts": "1.0"},
        "response_url": "https://hooks.slack.com/actions/T/1/x",
        "actions": [{"action_id": "sb:a:1:a", "block_id": "b", "value": "a", "type": "button"}],
    }
    for key, value in changes.items():
        if value is None:
            payload.pop(key)
        else:
            payload[key] = value
    return urlencode({"payload": json.dumps(payload)}).encode()


def command(**changes) -> bytes:
    form = {"command": "/study", "text": "stats", "user_id": "U1", "team_id": TEAM, "channel_id": "C1"}
    form.update(changes)
    return urlencode({k: v for k, v in form.items() if v is not None}).encode()


BODY = click()
UNSIGNED = [
    ("no headers", BODY, {"Content-Type": "application/x-www-form-urlencoded"}),
    ("timestamp not a number", BODY, {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": sign(BODY, "soon")}),
    ("timestamp with sign", BODY, {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": sign(BODY, "-1")}),
    ("huge timestamp", BODY, {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": sign(BODY, "9" * 400)}),
    ("stale", BODY, {"X-Slack-Request-Timestamp": "1000", "X-Slack-Signature": sign(BODY, "1000")}),
    ("wrong secret", BODY, {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}),
    ("no signature", BODY, {"X-Slack-Request-Timestamp": str(int(time.time()))}),
]
MALFORMED = [
    ("payload={not-json", b"payload={not-json"),
    ("payload=[1]", urlencode({"payload": "[1]"}).encode()),
    ("actions: []", click(actions=[])),
    ("action without id", click(actions=[{"value": "a"}])),
    ("empty body", b""),
    ("no user", click(user=None)),
    ("user without id", click(user={"id": ""})),
    ("no team", click(team=None, user={"id": "U1"})),
    ("no channel", click(channel=None)),
    ("command without user", command(user_id="")),
    ("command without team", command(team_id=None)),
    ("neither", b"hello=1"),
    ("not utf-8", b"payload=\xff\xfe"),
    ("json array", b"[1]"),
]


def assert_one_warning(caplog) -> None:
    mine = [r for r in caplog.records if r.name.startswith("studybot") or r.name.startswith("slack_bolt")]
    assert [r.levelno for r in mine] == [logging.WARNING], [r.getMessage() for r in mine]
    assert not any(r.exc_info for r in caplog.records)


def nothing_stored(settings) -> None:
    with sqlite3.connect(settings.database) as db:
        assert db.execute("SELECT count(*) FROM users WHERE trim(platform_id) = ''").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM communities WHERE trim(platform_id) = ''").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM answers").fetchone() == (0,)


@pytest.mark.parametrize(("case", "body", "headers"), UNSIGNED, ids=[c[0] for c in UNSIGNED])
async def test_unsigned_or_badly_signed_requests_get_401(bot, settings, slack, caplog, case, body, headers):  # noqa: F811
    _, sender = slack
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
    caplog.clear()
    status, _ = await send(sender.url, body, headers)
    assert status == 401
    assert_one_warning(caplog)
    nothing_stored(settings)


@pytest.mark.parametrize(("case", "body"), MALFORMED, ids=[c[0] for c in MALFORMED])
async def test_signed_but_malformed_requests_get_400(bot, settings, slack, fake, caplog, case, body):  # noqa: F811
    _, sender = slack
    content_type = "application/json" if case == "json array" else "application/x-www-form-urlencoded"
    caplog.clear()
    status, _ = await send(sender.url, body, signed(body, content_type))
    assert status == 400
    assert_one_warning(caplog)
    nothing_stored(settings)
    assert fake.responses == []  # nobody was answered either


async def test_a_well_formed_signed_click_still_works(bot, settings, slack, fake):  # noqa: F811
    """The guard's own signature check agrees with Slack's: a good request goes through to Bolt."""
    _, sender = slack
    post, _ = await daily_post(bot, sender, fake, "sqs")
    body = sender.click_body(f"sb:a:{post.id}:a", user="U7")
    status, _ = await send(sender.url, body.encode(), signed(body.encode()))
    assert status == 200
    await fake.wait_for("respond", 3)
    assert (await bot.storage.post_results(post.id)).answered == 1


@pytest.mark.parametrize(
    "body",
    [
        {"type": "block_actions", "user": {"id": ""}, "team": {"id": TEAM}, "channel": {"id": "C1"}, "actions": []},
        {"type": "block_actions", "user": {"id": "U1"}, "channel": {"id": "C1"}, "actions": [{"action_id": "x"}]},
        {"type": "block_actions", "user": {"id": "U1", "team_id": TEAM}, "actions": [{"action_id": "sb:a:1:a"}]},
        {"command": "/study", "text": "stats", "user_id": "", "team_id": TEAM, "channel_id": "C1"},
    ],
)
async def test_socket_mode_refuses_what_names_no_one(bot, settings, slack, fake, caplog, body):  # noqa: F811
    """Socket Mode has no HTTP request to check: Bolt's own middleware refuses the same bodies."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    adapter, _ = slack
    caplog.clear()
    response = await adapter.app.async_dispatch(AsyncBoltRequest(body=json.dumps(body), mode="socket_mode"))
    assert response.status == 400
    assert_one_warning(caplog)
    nothing_stored(settings)


async def test_slacks_unsigned_ssl_check_gets_200_and_does_nothing(settings, slack, fake, caplog):  # noqa: F811
    _, sender = slack
    caplog.clear()
    status, _ = await send(sender.url, b"ssl_check=1&token=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert fake.responses == [] and [c.method for c in fake.calls] == []
    smuggled = urlencode({"ssl_check": "1", "command": "/study", "user_id": "U1", "team_id": TEAM, "channel_id": "C"})
    status, _ = await send(sender.url, smuggled.encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401  # an ssl_check carrying a command is a command, and unsigned


@given(st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=6), st.sampled_from(["&", "&&"]))
def test_form_fields_read_a_form_as_urllib_does(fields, joiner):
    from urllib.parse import parse_qs, urlencode

    from adapters.slack.guard import form_fields

    text = joiner.join(urlencode({key: value}) for key, value in fields.items())
    expected = {key: values[0] for key, values in parse_qs(text, keep_blank_values=True).items()}
    assert form_fields(text) == expected
