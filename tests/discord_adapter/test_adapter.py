"""The Discord adapter end to end over loopback: a real discord.py client connected to a fake Discord
REST API and gateway (tests/fakes/discord_api.py) that the test drives with interactions."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import right_and_wrong
from tests.discord_adapter.support import (
    ADMIN_ID,
    CHANNEL,
    EPHEMERAL,
    MANAGE_GUILD,
    admin,
    click,
    command,
    connect,
    daily_post,
    disconnect,
    sub,
)
from tests.fakes.discord_api import FakeDiscord


async def test_commands_are_synced_to_the_test_guild(discord_bot, fake):
    commands = fake.commands[FakeDiscord.GUILD_ID]
    by_name = {c["name"]: c for c in commands}
    assert set(by_name) == {"study", "study-admin"}
    assert int(by_name["study-admin"]["default_member_permissions"]) == MANAGE_GUILD
    assert by_name["study"]["description_localizations"]["ja"] == "AWS 認定試験をチームで学習"
    quiz = next(o for o in by_name["study"]["options"] if o["name"] == "quiz")
    assert quiz["name_localizations"]["ja"] == "クイズ"
    assert fake.identify_payloads[0]["intents"] == 1  # guilds only: nothing privileged


async def test_quiz_lookup_leaderboard_stats_and_help(discord_bot, fake):
    quiz = await command(fake, "study", sub("quiz", filter="sqs"))
    assert quiz["flags"] & EPHEMERAL
    assert quiz["embeds"][0]["title"].startswith("📝 練習問題")
    buttons = quiz["components"][0]["components"]
    assert [b["label"] for b in buttons] == ["A", "B", "C"]
    lookup = await command(fake, "study", sub("lookup", term="GSI"))
    assert lookup["embeds"][0]["title"].startswith("🔎 グローバルセカンダリインデックス")
    board = await command(fake, "study", sub("leaderboard", period="all"))
    assert board["embeds"][0]["title"] == "🏆 ランキング（全期間）"
    stats = await command(fake, "study", sub("stats"))
    assert "まだ回答がありません" in stats["embeds"][0]["description"]
    help_text = await command(fake, "study", sub("help"))
    assert "/study-admin daily set" in help_text["content"] and "/study quiz" in help_text["content"]


async def test_lookup_autocomplete(discord_bot, fake):
    options = [{"name": "lookup", "type": 1, "options": [{"name": "term", "type": 3, "value": "dyn", "focused": True}]}]
    payload = fake.autocomplete("study", options)
    await fake.send_interaction(payload)
    body = await fake.wait_callback(payload["id"])
    assert body["type"] == 8
    assert [c["value"] for c in body["data"]["choices"]][:2] == ["dynamodb", "dynamodb-gsi"]


async def test_daily_post_click_second_click_and_reveal(bot, discord_bot, fake):
    post, message = await daily_post(bot, fake, "sqs")
    assert message["embeds"][0]["title"].startswith("📚 今日の一問")
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    first = await click(fake, f"sb:a:{post.id}:{right[0]}", message["id"])
    assert first["type"] == 4 and first["data"]["flags"] & EPHEMERAL
    assert "⭕ 正解です！ +10点" in first["data"]["content"]
    second = await click(fake, f"sb:a:{post.id}:{wrong[0]}", message["id"])
    assert "回答済み" in second["data"]["content"]
    assert await bot.reveal(post.id)
    channel_id, message_id, body = fake.edits[-1]
    assert (channel_id, message_id) == (CHANNEL, message["id"])
    assert body["components"] == []  # the buttons are gone
    assert body["embeds"][0]["title"].startswith("✅ 正解発表")
    assert "回答 1 人、正解率 100%" in body["embeds"][0]["description"]
    board = await command(fake, "study", sub("leaderboard", period="week", channel_only=True))
    assert "user1001 — 10点" in board["embeds"][0]["description"]


async def test_multi_select_submission(bot, discord_bot, fake):
    post, message = await daily_post(bot, fake, "dynamodb")
    select = message["components"][0]["components"][0]
    assert select["type"] == 3 and select["min_values"] == select["max_values"] == 2
    right, wrong_choices = right_and_wrong(bot.question_of(post))
    reply = await click(fake, f"sb:m:{post.id}", message["id"], values=right[::-1], component_type=3)
    assert "⭕ 正解です！" in reply["data"]["content"]
    half = [right[0], wrong_choices[0]]
    wrong = await click(fake, f"sb:m:{post.id}", message["id"], values=half, component_type=3, user_id=1002)
    assert "❌ 不正解です" in wrong["data"]["content"]
    results = await bot.storage.post_results(post.id)
    assert (results.answered, results.correct) == (2, 1)


async def test_non_admin_cannot_set_daily(bot, discord_bot, fake):
    group = [{"name": "daily", "type": 2, "options": sub("set", time="09:00")}]
    reply = await command(fake, "study-admin", group, user_id=1001, permissions=0)
    assert reply["content"] == "この操作は管理者のみ実行できます。"
    assert await bot.storage.schedules() == []


async def test_click_on_an_unknown_post(discord_bot, fake):
    reply = await click(fake, "sb:a:987654:a", 424242)
    assert "見つかりませんでした" in reply["data"]["content"]


async def test_missing_permissions_disable_the_schedule_and_tell_the_admin(bot, discord_bot, fake, caplog):
    await admin(fake, "set", time="09:00")
    fake.forbid_channel(CHANNEL)
    reply = await admin(fake, "now")
    assert reply["content"] == "投稿できませんでした: ボットにこのチャンネルへの投稿権限がありません"
    assert await bot.storage.schedules() == []
    dm = fake.dm_channels[ADMIN_ID]
    [notice] = await fake.wait_messages(dm)
    assert f"<#{CHANNEL}>" in notice["content"] and "停止しました" in notice["content"]
    # Discord's own answer is for the log, not for people (a proxy's page would carry its addresses).
    assert "Missing Permissions" not in reply["content"] + notice["content"]
    assert "ボットにこのチャンネルへの投稿権限がありません" in notice["content"]
    assert any("its daily schedule is disabled" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("resumable", [True, False])
async def test_gateway_drop_loses_no_answer(bot, discord_bot, fake, resumable):
    post, message = await daily_post(bot, fake, "sqs")
    question = bot.question_of(post)
    right, _ = right_and_wrong(question)
    identifies = fake.identifies
    await fake.drop_connection(resumable=resumable)
    # A click while the connection is down: Discord replays it on RESUME (or the user clicks again).
    payload = fake.click(f"sb:a:{post.id}:{right[0]}", message_id=message["id"], user_id=1007)
    if resumable:
        await fake.send_interaction(payload)
    await fake.wait_ready(within=10)
    if not resumable:
        await fake.send_interaction(payload)
    body = await fake.wait_callback(payload["id"], within=10)
    assert "⭕ 正解です！" in body["data"]["content"]
    assert (await bot.storage.post_results(post.id)).answered == 1
    assert fake.resumes >= 1
    assert fake.identifies == identifies + (0 if resumable else 1)


async def test_buttons_work_after_a_restart(bot, settings, fake):
    """A new client process (nothing in memory) still takes clicks on yesterday's message."""
    adapter, task = await connect(bot, settings, fake)
    post, message = await daily_post(bot, fake, "sqs")
    await disconnect(adapter, task)
    bot.platforms.pop("discord")
    adapter, task = await connect(bot, settings, fake)
    try:
        right, _ = right_and_wrong(bot.question_of(post))
        reply = await click(fake, f"sb:a:{post.id}:{right[0]}", message["id"], user_id=1010)
        assert "⭕ 正解です！" in reply["data"]["content"]
    finally:
        await disconnect(adapter, task)


async def test_many_channels_at_once_under_discords_rate_limits(bot, discord_bot, fake):
    """Every channel gets its question when Discord's limit is tighter than the pacer's 50/s (another
    process on the same token, or a lowered limit) and Discord says 429: the 429s are waited out."""
    from bot.models import Schedule
    from bot.scheduler import DailyScheduler

    fake.limit_rate(global_per_second=20, per_channel=(5, 5.0))  # the pacer still assumes 50/s
    community = await bot.storage.community("discord", str(FakeDiscord.GUILD_ID), "", "ja", "Asia/Tokyo")
    ids = []
    for i in range(100):
        channel = await bot.storage.channel(community.id, str(3_000_000 + i))
        await bot.storage.save_schedule(Schedule(channel.id, bot.now().time(), "UTC"))
        ids.append(channel.id)
    await asyncio.gather(*(DailyScheduler(bot).run_daily(channel_id) for channel_id in ids))
    assert all(len(fake.messages_in(3_000_000 + i)) == 1 for i in range(100))
    assert fake.rate_limited > 0  # the limits were really hit


async def test_daily_off_and_language(bot, discord_bot, fake):
    await admin(fake, "set", time="07:00", days="mon-fri")
    assert len(await bot.storage.schedules()) == 1
    reply = await admin(fake, "off")
    assert reply["content"] == "このチャンネルの毎日の出題を停止しました。"
    assert await bot.storage.schedules() == []
    english = await admin(fake, "lang", language="en")
    assert english["content"] == "The bot now speaks English here."
    stats = await command(fake, "study", sub("stats"))
    assert "No answers yet" in stats["embeds"][0]["description"]
