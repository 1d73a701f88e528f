"""Reminders on Slack over loopback: /study remind, the DM (conversations.open + chat.postMessage) with
its review button clicked in the DM, people Slack will not open a DM with, and a missing scope."""

from __future__ import annotations

import asyncio
import logging

from bot.core import Actor
from tests.conftest import right_and_wrong
from tests.fakes.slack_api import TEAM, FakeSlackAPI
from tests.slack_support import running_slack


def learner(user: str) -> Actor:
    return Actor("slack", TEAM, user, user.lower(), "C1", "study")


async def study(bot, user: str) -> None:
    view = await bot.practice(learner(user))
    _, wrong = right_and_wrong(view.question)
    await bot.answer(learner(user), view.post.id, wrong)


async def sweep(bot) -> None:
    await bot.reminders.sweep()
    await asyncio.wait_for(bot.reminders.settle(), 10)


async def fake_api() -> FakeSlackAPI:
    fake = FakeSlackAPI()
    await fake.start()
    return fake


async def test_remind_then_a_dm_whose_button_starts_the_review(bot, settings, clock):
    fake = await fake_api()
    try:
        async with running_slack(bot, settings, fake) as (_, sender):
            await study(bot, "U1")
            reply = await sender.command("remind 07:30", user="U1")
            assert "毎日 07:30（Asia/Tokyo）" in reply["text"] and reply["response_type"] == "ephemeral"
            clock.set("2026-11-24T07:30")
            await sweep(bot)
            [opened] = fake.of("conversations.open")
            assert opened.body["users"] == "U1"
            [dm] = fake.dm_messages("U1")
            assert "復習する問題が 1 問" in dm["text"]
            community = (await bot.context(learner("U1"))).community
            buttons = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
            assert [b["action_id"] for b in buttons] == [f"sb:rv:{community.id}"]
            assert not fake.rejected, fake.rejected

            review = await sender.click(f"sb:rv:{community.id}", user="U1", channel="DU1")
            assert "🔁 復習" in review["text"] and review["response_type"] == "ephemeral"
            actions = [e["action_id"] for b in review["blocks"] if b["type"] == "actions" for e in b["elements"]]
            answer_ids = [a for a in actions if a.startswith("sb:a:")]
            assert answer_ids, review["blocks"]
            feedback = await sender.click(answer_ids[0], user="U1", channel="DU1")  # answered in the DM
            assert "正解" in feedback["text"], feedback
            ctx = await bot.context(learner("U1"))
            assert len(await bot.storage.user_history(ctx.user.id, ctx.community.id)) == 2

            clock.set("2026-11-25T07:30")  # the next day: the DM channel is known, one call
            await sweep(bot)
            assert len(fake.dm_messages("U1")) == 2 and len(fake.of("conversations.open")) == 1

            stale = await sender.click("sb:rv:999999", user="U1", channel="DU1")
            assert "もう使えません" in stale["text"]
            assert "止めました" in (await sender.command("remind off", user="U1"))["text"]
    finally:
        await fake.stop()


async def test_a_person_slack_will_not_dm_gets_the_reminder_switched_off(bot, settings, clock, caplog):
    fake = await fake_api()
    fake.no_dm["U2"] = "cannot_dm_bot"
    try:
        async with running_slack(bot, settings, fake) as (_, sender):
            await study(bot, "U2")
            await sender.command("remind 07:30", user="U2")
            clock.set("2026-11-24T07:30")
            with caplog.at_level(logging.INFO, "studybot.reminders"):
                await sweep(bot)
            lines = [r.getMessage() for r in caplog.records if r.name == "studybot.reminders"]
            assert len(lines) == 1 and "cannot_dm_bot" in lines[0] and "switched off" in lines[0]
            assert "設定されていません" in (await sender.command("remind", user="U2"))["text"]
    finally:
        await fake.stop()


async def test_a_missing_im_write_scope_is_logged_and_keeps_the_reminder(bot, settings, clock, caplog):
    """Not the learner's choice: the operator must add the scope; the reminder stays on."""
    fake = await fake_api()
    fake.scopes.discard("im:write")
    try:
        async with running_slack(bot, settings, fake) as (_, sender):
            await study(bot, "U3")
            await sender.command("remind 07:30", user="U3")
            clock.set("2026-11-24T07:30")
            with caplog.at_level(logging.INFO, "studybot.reminders"):
                await sweep(bot)
            assert any("missing_scope" in r.getMessage() for r in caplog.records if r.name == "studybot.reminders")
            assert fake.dm_messages("U3") == []
            assert "07:30" in (await sender.command("remind", user="U3"))["text"]
    finally:
        await fake.stop()


async def test_the_fake_refuses_the_dms_slack_refuses():
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    fake = await fake_api()
    client = AsyncWebClient(token="xoxb-test", base_url=fake.base + "/api/")
    fake.no_dm["UBOT2"] = "cannot_dm_bot"

    async def error_of(call) -> str:
        try:
            await call
        except SlackApiError as exc:
            return str(exc.response["error"])
        return "ok"

    try:
        assert await error_of(client.api_call("conversations.open", json={})) == "users_list_not_supplied"
        assert await error_of(client.conversations_open(users="UBOT2")) == "cannot_dm_bot"
        assert await error_of(client.chat_postMessage(channel="DNEVER", text="hi")) == "channel_not_found"
        opened = await client.conversations_open(users="U9")
        assert opened["channel"]["id"] == (await client.conversations_open(users="U9"))["channel"]["id"]
        assert await error_of(client.chat_postMessage(channel=opened["channel"]["id"], text="hi")) == "ok"
        fake.scopes.discard("im:write")
        assert await error_of(client.conversations_open(users="U9")) == "missing_scope"
    finally:
        await fake.stop()


async def test_count_due_many_agrees_with_count_due(bot, clock):
    """The sweep's batch count and bot.reviews.count_due give each learner the same number."""
    from bot.reminders import count_due_many
    from bot.reviews import count_due

    users = ["A1", "A2", "A3"]
    await study(bot, "A1")
    await study(bot, "A1")
    await study(bot, "A2")
    await bot.context(learner("A3"))
    clock.set("2026-11-24T07:30")
    ctxs = [await bot.context(learner(u)) for u in users]
    community = ctxs[0].community.id
    for zone in ("Asia/Tokyo", "America/Los_Angeles"):
        many = await count_due_many(
            bot.storage, community, [c.user.id for c in ctxs], clock(), bot.content.questions, zone
        )
        single = [
            await count_due(bot.storage, c.user.id, community, clock(), bank=bot.content.questions, timezone=zone)
            for c in ctxs
        ]
        assert [many[c.user.id] for c in ctxs] == single
    assert [many[c.user.id] for c in ctxs] == [2, 1, 0]
    # A question gone from the bank is due no more, in both.
    removed = {q for q in bot.content.questions}
    first_due = await bot.storage.due_questions(community, [ctxs[0].user.id], 2e9)
    removed.discard(first_due[0][1])
    many = await count_due_many(bot.storage, community, [ctxs[0].user.id], clock(), removed, "Asia/Tokyo")
    single = await count_due(bot.storage, ctxs[0].user.id, community, clock(), bank=removed, timezone="Asia/Tokyo")
    assert many[ctxs[0].user.id] == single == 1
