"""The strict Slack fake refuses what Slack refuses (one failing body per rule), and every shipped question
passes it: as a daily post, a practice reply and a reveal, in both languages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack.blocks import question_blocks, reveal_blocks
from adapters.slack.escape import escape, fit
from bot.config import PROJECT_ROOT
from bot.content import load_content
from bot.models import Post, PostKind, PostResults, PostStatus
from bot.render import question_text, reveal_text
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_rules import iter_texts


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


async def post_json(fake: FakeSlackAPI, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base}/api/{method}", json=body) as resp:
            return resp.status, await resp.json()


def section(text: str, kind: str = "mrkdwn", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": kind, "text": text, **extra}}


def button(**extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": "b", "text": {"type": "plain_text", "text": "A"}, **extra}


def actions(*elements: dict[str, Any], block_id: str = "x") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def option(text: str = "A", value: str = "a") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def checkboxes(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "checkboxes", "action_id": "c", "options": options}


def select(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "s", "options": options}


# (rule, blocks, the pointer Slack names). Each body breaks exactly one rule, by one character or item.
BROKEN: list[tuple[str, list[dict[str, Any]], str]] = [
    ("50 blocks", [section("x")] * 51, "/blocks"),
    ("section text 3000", [section("x" * 3001)], "/blocks/0/text/text"),
    ("section fields 10", [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
    (
        "field text 2000",
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "/blocks/0/fields/0",
    ),
    ("section needs text", [{"type": "section"}], "/blocks/0"),
    ("empty text", [section("")], "/blocks/0/text/text"),
    ("text type", [section("x", kind="markdown")], "/blocks/0/text/type"),
    ("emoji on mrkdwn", [section("x", emoji=True)], "/blocks/0/text/emoji"),
    ("verbatim on plain_text", [section("x", kind="plain_text", verbatim=True)], "/blocks/0/text/verbatim"),
    ("header 150", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
    ("header plain_text", [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
    ("button text 75", [actions(button(text={"type": "plain_text", "text": "b" * 76}))], "/blocks/0/elements/0"),
    ("button plain_text", [actions(button(text={"type": "mrkdwn", "text": "b"}))], "/blocks/0/elements/0/text"),
    ("action_id 255", [actions(button(action_id="a" * 256))], "/blocks/0/elements/0/action_id"),
    ("action_id unique", [actions(button(), button())], "/blocks/0/elements/1/action_id"),
    ("block_id 255", [actions(button(), block_id="b" * 256)], "/blocks/0/block_id"),
    ("block_id unique", [actions(button()), actions(button())], "/blocks/1/block_id"),
    ("button value 2000", [actions(button(value="v" * 2001))], "/blocks/0/elements/0/value"),
    ("button url 3000", [actions(button(url="https://e.example/" + "u" * 3000))], "/blocks/0/elements/0/url"),
    ("button style", [actions(button(style="green"))], "/blocks/0/elements/0/style"),
    (
        "actions 25",
        [actions(*[button(action_id=f"b{i}") for i in range(26)])],
        "/blocks/0/elements",
    ),
    ("context 10", [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/blocks/0/elements"),
    ("option text 75", [actions(checkboxes([option("o" * 76)]))], "/blocks/0/elements/0/options/0/text"),
    ("option value 150", [actions(checkboxes([option(value="v" * 151)]))], "/blocks/0/elements/0/options/0/value"),
    ("checkboxes 10", [actions(checkboxes([option(value=str(i)) for i in range(11)]))], "/blocks/0/elements/0"),
    ("select 100", [actions(select([option(value=str(i)) for i in range(101)]))], "/blocks/0/elements/0/options"),
    (
        "select option plain_text",
        [actions(select([{"text": {"type": "mrkdwn", "text": "*a*"}, "value": "a"}]))],
        "/blocks/0/elements/0/options/0/text/type",
    ),
    ("block type", [{"type": "table"}], "/blocks/0/type"),
]


@pytest.mark.parametrize(("rule", "blocks", "pointer"), BROKEN, ids=[b[0] for b in BROKEN])
async def test_the_fake_refuses_each_block_kit_rule(fake, rule, blocks, pointer):
    status, answer = await post_json(fake, "chat.postMessage", {"channel": "C1", "text": "t", "blocks": blocks})
    assert status == 200 and answer["ok"] is False and answer["error"] == "invalid_blocks", answer
    assert any(f"[json-pointer:{pointer}" in e for e in answer["errors"]), answer["errors"]
    assert fake.rejected[-1][0].body["blocks"] == blocks  # kept, for a test that waits on it to report


async def test_limits_are_exact(fake):
    """One character under each limit goes through."""
    ok = [
        *[section("x")] * 49,
        actions(
            button(action_id="a" * 255, value="v" * 2000, url="https://e.example/" + "u" * 2982),
            *[button(action_id=f"b{i}", text={"type": "plain_text", "text": "b" * 75}) for i in range(24)],
            block_id="b" * 255,
        ),
    ]
    ok[0] = section("x" * 3000)
    _, answer = await post_json(fake, "chat.postMessage", {"channel": "C1", "text": "t" * 40_000, "blocks": ok})
    assert answer["ok"] is True and answer["channel"] == "C1" and answer["ts"]


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.update", "chat.postEphemeral"])
async def test_message_text_40000_and_no_text(fake, method):
    body = {"channel": "C1", "ts": "1.0", "user": "U1"}
    assert (await post_json(fake, method, {**body, "text": "x" * 40_001}))[1]["error"] == "msg_too_long"
    assert (await post_json(fake, method, body))[1]["error"] == "no_text"


@pytest.mark.parametrize(
    "text",
    ["a & b", "Value<String>", "x > y", "<用語>", "&amp", "<script>", "<@>"],
)
async def test_the_fake_refuses_unescaped_text(fake, text):
    for body in (
        {"channel": "C1", "text": text},
        {"channel": "C1", "text": "t", "blocks": [section(text)]},
        {"channel": "C1", "text": "t", "blocks": [section(text, kind="plain_text")]},
    ):
        _, answer = await post_json(fake, "chat.postMessage", body)
        assert answer["ok"] is False and answer["error"] == "unescaped_text", (body, answer)


@pytest.mark.parametrize(
    "text",
    ["a &amp; b", "Value&lt;String&gt;", "<@U123> <#C0001> <!here> <!subteam^S1|@team>", "<https://x.example|x>"],
)
async def test_control_sequences_and_entities_are_taken(fake, text):
    _, answer = await post_json(fake, "chat.postMessage", {"channel": "C1", "text": text, "blocks": [section(text)]})
    assert answer["ok"] is True, answer


async def test_views_allow_100_blocks_and_check_them(fake):
    home = {"type": "home", "blocks": [section("x")] * 100}
    assert (await post_json(fake, "views.publish", {"user_id": "U1", "view": home}))[1]["ok"] is True
    too_many = {"type": "home", "blocks": [section("x")] * 101}
    _, answer = await post_json(fake, "views.publish", {"user_id": "U1", "view": too_many})
    assert answer["error"] == "invalid_blocks" and "[json-pointer:/view/blocks]" in answer["errors"][0]
    _, answer = await post_json(fake, "views.publish", {"user_id": "U1", "view": {"type": "modal", "blocks": []}})
    assert answer["error"] == "invalid_arguments"
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": [section("x")]}
    _, answer = await post_json(fake, "views.open", {"trigger_id": "t", "view": modal})
    assert answer["error"] == "invalid_blocks" and "/view/title" in answer["errors"][0]


async def test_response_url_bodies_are_checked(fake):
    async with aiohttp.ClientSession() as session:
        webhook = AsyncWebhookClient(url=fake.response_url(), session=session)
        bad = await webhook.send_dict({"text": "t", "blocks": [section("x" * 3001)]})
        good = await webhook.send_dict({"text": "t", "blocks": [section("x")]})
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    assert good.status_code == 200 and len(fake.responses) == 1 and len(fake.rejected) == 1


async def test_post_message_is_limited_per_channel_with_a_short_burst(fake):
    """https://docs.slack.dev/apis/web-api/rate-limits: about one message per second per channel."""
    answers = [await post_json(fake, "chat.postMessage", {"channel": "C1", "text": "t"}) for _ in range(4)]
    assert [status for status, _ in answers] == [200, 200, 200, 429]
    assert answers[-1][1] == {"ok": False, "error": "ratelimited"}
    assert (await post_json(fake, "chat.postMessage", {"channel": "C2", "text": "t"}))[0] == 200  # its own budget
    await asyncio.sleep(1.05)
    assert (await post_json(fake, "chat.postMessage", {"channel": "C1", "text": "t"}))[0] == 200


async def test_chat_update_is_tier_3(fake):
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(51):
            async with session.post(
                f"{fake.base}/api/chat.update", json={"channel": "C1", "ts": "1", "text": "t"}
            ) as r:
                statuses.append((r.status, r.headers.get("Retry-After")))
    assert statuses[:50] == [(200, None)] * 50
    assert statuses[50][0] == 429 and int(statuses[50][1]) >= 1


async def test_the_client_waits_out_a_429(fake):
    """slack_sdk honours Retry-After: the fourth message in a burst arrives, a second later."""
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler

    client = AsyncWebClient(token="xoxb-t", base_url=fake.base + "/api/")
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    for _ in range(4):
        await client.chat_postMessage(channel="C1", text="t")
    assert len(fake.of("chat.postMessage")) == 5  # one 429, then the retry
    plain_client = AsyncWebClient(token="xoxb-t", base_url=fake.base + "/api/")
    plain_client.retry_handlers.clear()
    with pytest.raises(SlackApiError):
        for _ in range(4):
            await plain_client.chat_postMessage(channel="C9", text="t")


def daily_post(post_id: int, question_id: str, kind: PostKind) -> Post:
    start = 1_764_540_000.0  # 2025-12-01 07:00 in Tokyo
    return Post(
        post_id,
        kind,
        1,
        1 if kind == PostKind.DAILY else None,
        None if kind == PostKind.DAILY else 1,
        question_id,
        "2025-12-01",
        start,
        start + 8 * 3600 if kind == PostKind.DAILY else None,
        PostStatus.OPEN,
        "1.0",
    )


def texts_of(question) -> list[str]:
    return [
        question.prompt,
        question.explanation,
        *[c.text for c in question.choices],
        *[c.explanation for c in question.choices],
    ]


async def test_every_shipped_question_passes_the_strict_fake(fake):
    bank = load_content(PROJECT_ROOT / "content")
    fake.limits.enabled = False  # the rate limits have their own tests; this one is about layouts
    client = AsyncWebClient(token="xoxb-t", base_url=fake.base + "/api/")
    client.retry_handlers.clear()
    sent = 0
    async with aiohttp.ClientSession() as session:
        webhook = AsyncWebhookClient(url=fake.response_url(), session=session)
        for n, question in enumerate(bank.questions.values()):
            results = PostResults(7, 3, {c.id: 1 for c in question.choices})
            for locale in ("ja", "en"):
                post = daily_post(n + 1, question.id, PostKind.DAILY)
                text = fit(escape(question_text(post, question, locale, "Asia/Tokyo")), 3000)
                await client.chat_postMessage(
                    channel="C1", text=text, blocks=question_blocks(post, question, locale, "Asia/Tokyo")
                )
                practice = daily_post(n + 1, question.id, PostKind.PRACTICE)
                reply = await webhook.send_dict(
                    {
                        "text": fit(escape(question_text(practice, question, locale)), 3000),
                        "blocks": question_blocks(practice, question, locale),
                    }
                )
                assert reply.status_code == 200, (question.id, reply.body)
                await client.chat_update(
                    channel="C1",
                    ts="1.0",
                    text=fit(escape(reveal_text(question, results, locale)), 3000),
                    blocks=reveal_blocks(question, results, locale),
                )
                sent += 3
    assert fake.rejected == [] and sent == 6 * len(bank.questions) > 2000
    # The questions whose text holds Slack's control characters reach Slack escaped, whole.
    shown = "\n".join(
        text for call in fake.calls if call.method == "chat.update" for text in iter_texts(call.body["blocks"])
    )
    hostile_questions = [q for q in bank.questions.values() if any(ch in text for text in texts_of(q) for ch in "<>&")]
    assert len(hostile_questions) >= 3  # the rewritten bank still holds some (`Value<String>`, `<IMAGE1_NAME>`, ...)
    for question in hostile_questions:
        for text in texts_of(question):
            assert escape(text.strip()) in shown, (question.id, text)
    assert "AWS::SSM::Parameter::Value&lt;AWS::EC2::Image::Id&gt;" in shown
    assert json.dumps(shown).count("<") == 0
