"""Reminders on Discord over loopback: /study remind set|off, the DM with its button (Create DM, then
a message), the button clicked in the DM, and a user whose DMs are closed (50007)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.core import Actor
from tests.conftest import right_and_wrong
from tests.discord_adapter.support import command
from tests.fakes.discord_api import FakeDiscord

LEARNER = 1001


def remind(sub: str, **values: str) -> list[dict[str, Any]]:
    options = [{"name": k, "type": 3, "value": v} for k, v in values.items()]
    return [{"name": "remind", "type": 2, "options": [{"name": sub, "type": 1, "options": options}]}]


def learner(user_id: int) -> Actor:
    return Actor("discord", str(FakeDiscord.GUILD_ID), str(user_id), f"user{user_id}", "2001", "study")


async def study(bot, user_id: int) -> None:
    view = await bot.practice(learner(user_id))
    _, wrong = right_and_wrong(view.question)
    await bot.answer(learner(user_id), view.post.id, wrong)


async def sweep(bot) -> None:
    await bot.reminders.sweep()
    await asyncio.wait_for(bot.reminders.settle(), 10)


async def test_remind_set_then_a_dm_with_a_review_button_that_works_in_the_dm(bot, discord_bot, fake, clock):
    await study(bot, LEARNER)
    reply = await command(fake, "study", remind("set", time="07:30"))
    assert "毎日 07:30（Asia/Tokyo）" in reply["content"] and reply["flags"] & 64
    clock.set("2026-11-24T07:30")
    await sweep(bot)
    [dm] = fake.dm_messages(LEARNER)
    assert "復習する問題が 1 問" in dm["content"]
    [row] = dm["components"]
    [button] = row["components"]
    community = (await bot.context(learner(LEARNER))).community
    assert button["custom_id"] == f"sb:rv:{community.id}" and button["label"] == "復習を始める"
    assert not fake.refused, fake.refused

    payload = fake.dm_click(button["custom_id"], message=fake.message(dm["id"]) or {}, user_id=LEARNER)
    before = len(fake.followups)
    await fake.send_interaction(payload)
    deferred = await fake.wait_callback(payload["id"])
    assert deferred["type"] == 5 and deferred["data"]["flags"] & 64
    review = (await fake.wait_followups(before + 1))[-1]
    assert "embeds" in review and "🔁 復習" in review["embeds"][0]["title"], review
    assert "残り 0 問" in str(review["embeds"][0]), review  # the one due review is this one
    assert not fake.refused, fake.refused

    # Its answer buttons work in the DM: the answer counts in the server's community.
    question_message = next(
        m
        for m in reversed(list(fake._messages.values()))
        if m["channel_id"] == str(fake.dm_channels[LEARNER]) and "sb:a:" in str(m["components"])
    )
    custom_id = question_message["components"][0]["components"][0]["custom_id"]
    click = fake.dm_click(custom_id, message=question_message, user_id=LEARNER)
    await fake.send_interaction(click)
    feedback = await fake.wait_callback(click["id"])
    assert feedback["type"] == 4 and ("正解" in feedback["data"]["content"]), feedback
    ctx = await bot.context(learner(LEARNER))
    history = await bot.storage.user_history(ctx.user.id, ctx.community.id)
    assert len(history) == 2  # the first practice answer and this review


async def test_a_forged_review_button_is_told_it_is_stale(bot, discord_bot, fake):
    await bot.context(learner(LEARNER))
    message = fake._new_message(99, {"components": [fake._component_for("sb:rv:999999", 2, None)]})
    payload = fake.dm_click("sb:rv:999999", message=message, user_id=LEARNER)
    await fake.send_interaction(payload)
    answer = await fake.wait_callback(payload["id"])
    assert "もう使えません" in answer["data"]["content"]


async def test_remind_off_and_nothing_sent_when_nothing_is_due(bot, discord_bot, fake, clock):
    await command(fake, "study", remind("set", time="07:30", timezone="Europe/London"), user_id=1003)
    clock.set("2026-11-24T07:30", "Europe/London")
    await sweep(bot)
    assert fake.dm_messages(1003) == [] and 1003 not in fake.dm_channels  # nothing due: no DM at all
    reply = await command(fake, "study", remind("off"), user_id=1003)
    assert reply["content"] == "復習リマインダーを止めました。"


async def test_a_user_whose_dms_are_closed_gets_the_reminder_switched_off(bot, discord_bot, fake, clock, caplog):
    await study(bot, 1002)
    await command(fake, "study", remind("set", time="07:30"), user_id=1002)
    fake.closed_dms.add(1002)
    clock.set("2026-11-24T07:30")
    with caplog.at_level(logging.INFO, "studybot.reminders"):
        await sweep(bot)
    lines = [r.getMessage() for r in caplog.records if r.name == "studybot.reminders"]
    assert len(lines) == 1 and "50007" in lines[0] and "switched off" in lines[0]
    assert fake.dm_messages(1002) == []
    status = await command(fake, "study", remind("set", time="x"), user_id=1002)
    assert "読めません" in status["content"]  # bad input: a clear reply
    ctx = await bot.context(learner(1002))
    stored = await bot.storage.reminder(ctx.user.id, ctx.community.id)
    assert stored is not None and not stored.enabled


async def test_the_fake_refuses_the_dms_discord_refuses(fake):
    import aiohttp

    fake.unknown_users.add(4040)
    fake.closed_dms.add(4041)
    headers = {"Authorization": "Bot fake-token"}
    async with aiohttp.ClientSession(headers=headers) as http:

        async def post(path: str, body: object) -> tuple[int, dict[str, Any]]:
            async with http.post(fake.rest_base + path, json=body) as resp:
                return resp.status, await resp.json(content_type=None)

        status, body = await post("/users/@me/channels", {})
        assert status == 400 and body["code"] == 50035
        status, body = await post("/users/@me/channels", {"recipient_id": "4040"})
        assert status == 404 and body["code"] == 10013
        status, channel = await post("/users/@me/channels", {"recipient_id": "4041"})
        assert status == 200 and channel["type"] == 1
        status, body = await post(f"/channels/{channel['id']}/messages", {"content": "hi"})
        assert status == 403 and body["code"] == 50007
        status, again = await post("/users/@me/channels", {"recipient_id": "4042"})
        assert status == 200 and again["id"] == (await post("/users/@me/channels", {"recipient_id": "4042"}))[1]["id"]
