"""The daily question on Slack: exactly one message per channel and day when Slack takes a message but
its reply is lost (issue 11 points 1 and 3), and a lost channel switches its schedule off and tells the
admin who set it, also when Slack's Events API says so first (issue 12 point 5)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from bot.models import PostStatus
from bot.scheduler import DailyScheduler
from tests.fakes.slack_api import BOT_USER, DROP, FakeSlackAPI, Scripted
from tests.slack_support import eventually, running_slack


@pytest.fixture
async def fake(clock) -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    api.clock = lambda: clock().timestamp()  # Slack's clock is the bot's
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def slack(bot, settings, fake):  # type: ignore[no-untyped-def]
    async with running_slack(bot, settings, fake) as running:
        yield running


async def set_daily(sender, fake, channel: str = "C1") -> None:  # type: ignore[no-untyped-def]
    fake.admins.add("UADMIN")
    reply = await sender.command("daily set 09:00 sqs", user="UADMIN", channel=channel)
    assert "毎日の出題を設定しました" in reply["text"]


async def recover(bot, clock) -> None:  # type: ignore[no-untyped-def]
    """Past the retry time, whichever process sweeps finishes the unconfirmed post."""
    clock.advance(minutes=2)
    await DailyScheduler(bot).sweep()


@pytest.mark.parametrize(
    "lost_reply", [Scripted(500, {"ok": False, "error": "fatal_error"}), DROP], ids=["500", "drop"]
)
async def test_a_message_slack_took_is_found_not_resent(bot, clock, slack, fake, lost_reply):
    _, sender = slack
    async with asyncio.timeout(30):
        await set_daily(sender, fake)
        fake.fail_after_storing("chat.postMessage", lost_reply)
        reply = await sender.command("daily now", user="UADMIN")
        assert "自動で確認し" in reply["text"]
        assert len(fake.of("chat.postMessage")) == 1  # slack_sdk did not resend it
        [message] = fake.channel_messages("C1")
        assert message["metadata"] == {"event_type": "studybot_post", "event_payload": {"post_id": 1}}

        await recover(bot, clock)
        [history] = fake.of("conversations.history")
        assert history.body["channel"] == "C1"
        assert len(fake.of("chat.postMessage")) == 1 and len(fake.channel_messages("C1")) == 1
        post = await bot.storage.post(1)
        assert post is not None and post.status == PostStatus.OPEN and post.message_ref == message["ts"]

        assert await bot.reveal(post.id)
        [only] = fake.channel_messages("C1")
        assert only["ts"] == message["ts"] and "edited" in only
        assert not any(b["type"] == "actions" for b in only["blocks"])  # revealed: the buttons are gone
        assert "正解発表" in json.dumps(only["blocks"], ensure_ascii=False)


async def test_a_message_slack_never_got_is_sent_once_more(bot, clock, slack, fake):
    _, sender = slack
    async with asyncio.timeout(30):
        await set_daily(sender, fake)
        fake.fail("chat.postMessage", Scripted(503, {"ok": False, "error": "service_unavailable"}))
        await sender.command("daily now", user="UADMIN")
        assert fake.channel_messages("C1") == []
        await recover(bot, clock)
        assert len(fake.of("chat.postMessage")) == 2
        [message] = fake.channel_messages("C1")
        assert (await bot.storage.post(1)).message_ref == message["ts"]  # type: ignore[union-attr]


async def test_a_rate_limited_post_is_retried_by_the_client(bot, slack, fake):
    """429: Slack did not take it, so resending at once (after Retry-After) cannot double it."""
    _, sender = slack
    await set_daily(sender, fake)
    fake.fail("chat.postMessage", Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))
    reply = await sender.command("daily now", user="UADMIN")
    assert reply["text"] == "今日の一問を投稿しました。"
    assert len(fake.of("chat.postMessage")) == 2 and len(fake.channel_messages("C1")) == 1


async def test_someone_elses_message_naming_the_post_is_not_taken_for_ours(bot, clock, slack, fake):
    _, sender = slack
    await set_daily(sender, fake)
    fake.fail("chat.postMessage", Scripted(503, {"ok": False, "error": "service_unavailable"}))
    await sender.command("daily now", user="UADMIN")
    forged = {"type": "message", "ts": f"{clock().timestamp():.6f}", "user": "UEVIL", "text": "sb:q:1"}
    forged["blocks"] = [{"type": "actions", "block_id": "sb:q:1", "elements": []}]
    fake.messages.setdefault("C1", []).append(forged)
    await recover(bot, clock)
    assert len(fake.channel_messages("C1")) == 2  # ours was sent: the user's message is not the bot's


@pytest.mark.parametrize("error", ["not_in_channel", "is_archived"])
async def test_a_lost_channel_stops_the_schedule_and_the_admin_is_told(bot, slack, fake, caplog, error):
    _, sender = slack
    await set_daily(sender, fake)
    fake.gone["C1"] = error
    reply = await sender.command("daily now", user="UADMIN")
    assert "投稿できませんでした" in reply["text"]
    assert await bot.storage.schedules() == []
    [opened] = fake.of("conversations.open")
    assert opened.body["users"] == "UADMIN"
    dm = next(c for c in fake.of("chat.postMessage") if c.body["channel"] == "DUADMIN")
    assert "<#C1>" in dm.body["text"] and "/study daily set" in dm.body["text"]
    assert error not in dm.body["text"]  # a plain reason for people; Slack's own code goes to the log
    assert len([r for r in caplog.records if "its daily schedule is disabled" in r.getMessage()]) == 1


async def test_the_bot_removed_from_a_channel_stops_its_schedule_at_once(bot, slack, fake, caplog):
    _, sender = slack
    await set_daily(sender, fake, "C1")
    await set_daily(sender, fake, "C2")
    someone = {"type": "member_left_channel", "user": "U5", "channel": "C1", "channel_type": "C", "team": "T0001"}
    assert await sender.event(someone) == 200
    assert await sender.event({**someone, "user": BOT_USER}) == 200
    await eventually(lambda: _schedules_left(bot, 1))
    [left] = await bot.storage.schedules()
    assert (await bot.storage.channel_by_id(left.channel_id)).platform_id == "C2"  # type: ignore[union-attr]

    async def admin_told() -> bool:  # the direct message follows the switch-off
        return any(c.body["channel"] == "DUADMIN" for c in fake.of("chat.postMessage"))

    await eventually(admin_told)
    stops = [r.getMessage() for r in caplog.records if "schedule switched off" in r.getMessage()]
    assert len(stops) == 1 and "member_left_channel" in stops[0]


async def test_an_archived_channel_stops_its_schedule(bot, slack, fake):
    _, sender = slack
    await set_daily(sender, fake, "C1")
    assert await sender.event({"type": "channel_archive", "channel": "C1", "user": "U5"}) == 200
    await eventually(lambda: _schedules_left(bot, 0))


@pytest.mark.parametrize(
    "event", [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": [BOT_USER]}}]
)
async def test_uninstall_or_revoked_tokens_stop_every_schedule_of_the_workspace(bot, slack, fake, event):
    _, sender = slack
    await set_daily(sender, fake, "C1")
    await set_daily(sender, fake, "C2")
    await set_daily(sender.as_team("T0002"), fake, "C5")
    assert await sender.event(event) == 200
    await eventually(lambda: _schedules_left(bot, 1))  # the other workspace's stays
    assert fake.of("conversations.open") == []  # nobody can be told: the token is gone


async def test_events_of_an_unknown_channel_or_workspace_change_nothing(bot, slack, fake):
    _, sender = slack
    await set_daily(sender, fake, "C1")
    assert await sender.event({"type": "channel_archive", "channel": "C9", "user": "U5"}) == 200
    assert await sender.event({"type": "app_uninstalled"}, team="T0404") == 200
    await asyncio.sleep(0.3)
    assert len(await bot.storage.schedules()) == 1


async def _schedules_left(bot, count: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await bot.storage.schedules()) == count
