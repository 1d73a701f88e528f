"""What a Discord user and server admin expect: every interaction answered, options read as what they
are, the server's language, permissions checked up front, nobody mentioned, names shown as typed."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace

import pytest

from tests.conftest import right_and_wrong
from tests.discord_adapter.support import (
    ADMIN_ID,
    CHANNEL,
    MANAGE_GUILD,
    admin,
    click,
    command,
    connect,
    daily_post,
    disconnect,
    sub,
)
from tests.fakes.discord_api import DEFAULT_APP_PERMISSIONS

EMBED_LINKS = 1 << 14
SEND_MESSAGES = 1 << 11


# -- every interaction gets an answer


async def test_a_stale_button_is_told_it_is_no_longer_valid(discord_bot, fake):
    payload = fake.click("quiz:v0:answer:b", message_id=4242)  # an older version's button
    await fake.send_interaction(payload)
    reply = await fake.wait_callback(payload["id"])
    assert reply["type"] == 4 and reply["data"]["flags"] & 64
    assert reply["data"]["content"] == "このボタンはもう使えません（古いメッセージのボタンです）。"


async def test_a_malformed_answer_button_is_told_too(discord_bot, fake):
    reply = await click(fake, "sb:a:12:z", 4243)  # choice z: not a button we ever made
    assert "もう使えません" in reply["data"]["content"]


async def test_an_outdated_command_gets_an_answer(discord_bot, fake):
    payload = fake.slash("study-old", [])
    await fake.send_interaction(payload)
    reply = await fake.wait_callback(payload["id"])
    assert "このコマンドは古くなっています" in reply["data"]["content"]


async def test_a_reply_discord_refuses_still_leaves_the_user_an_answer(bot, discord_bot, fake, caplog):
    """The first followup fails (Discord answers 400): the user still gets a clear private message."""
    fake.fail("POST", r"^/webhooks/", status=400, times=1)
    payload = fake.slash("study", sub("stats"))
    await fake.send_interaction(payload)
    [followup] = await fake.wait_followups(1)
    assert followup["content"].startswith("⚠️ 予期しないエラー") and followup["flags"] & 64
    assert any("failed" in r.getMessage() for r in caplog.records if r.name == "studybot.discord")


@pytest.mark.sqlite_only  # SQLite's file write lock; PostgreSQL locks rows
async def test_a_click_while_the_database_is_locked_is_deferred_then_answered(bot, discord_bot, fake):
    post, message = await daily_post(bot, fake, "sqs")
    right, _ = right_and_wrong(bot.question_of(post))
    before = len(fake.followups)
    other = sqlite3.connect(bot.settings.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        payload = fake.click(f"sb:a:{post.id}:{right[0]}", message_id=message["id"], user_id=1060)
        await fake.send_interaction(payload)
        deferred = await fake.wait_callback(payload["id"], within=3)
        assert deferred["type"] == 5  # within Discord's 3 s, although the answer is not stored yet
    finally:
        other.execute("ROLLBACK")
        other.close()
    feedback = (await fake.wait_followups(before + 1))[-1]
    assert "⭕ 正解です！" in feedback["content"]
    assert (await bot.storage.post_results(post.id)).answered == 1


# -- slash options are options


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"timezone": "JST"}, "タイムゾーン JST が不明です"),
        ({"timezone": "America/Argentina"}, "タイムゾーン America/Argentina が不明です"),  # a tzdata folder
        ({"filter": "sat"}, "「sat」に当てはまる試験・サービスがありません"),  # not the weekdays
        ({"days": "someday"}, "曜日 someday が読めません"),
        ({"reveal": "0m"}, "公開までの時間 0m が読めません"),
    ],
)
async def test_daily_set_reads_each_option_as_what_it_is(bot, discord_bot, fake, values, expected):
    reply = await admin(fake, "set", time="09:00", **values)
    assert expected in reply["content"]
    assert await bot.storage.schedules() == []


async def test_daily_set_with_every_option(bot, discord_bot, fake):
    reply = await admin(fake, "set", time="7:30", timezone="America/New_York", days="mon,wed", reveal="90m")
    assert "mon,wed 07:30（America/New_York）" in reply["content"]
    [schedule] = await bot.storage.schedules()
    assert (schedule.timezone, schedule.weekdays, schedule.reveal_minutes) == ("America/New_York", ("mon", "wed"), 90)


async def test_a_forged_period_is_refused_plainly(discord_bot, fake):
    reply = await command(fake, "study", sub("leaderboard", period="year"))
    assert reply["content"] == "期間は week / month / all のいずれかです。"


async def test_time_zone_autocomplete(discord_bot, fake):
    options = [
        {
            "name": "daily",
            "type": 2,
            "options": [
                {
                    "name": "set",
                    "type": 1,
                    "options": [{"name": "timezone", "type": 3, "value": "tokyo", "focused": True}],
                }
            ],
        }
    ]
    payload = fake.autocomplete("study-admin", options, user_id=ADMIN_ID, permissions=MANAGE_GUILD)
    await fake.send_interaction(payload)
    body = await fake.wait_callback(payload["id"])
    assert [c["value"] for c in body["data"]["choices"]] == ["Asia/Tokyo"]


# -- what a server admin expects


async def test_daily_set_names_the_permissions_the_bot_lacks(bot, discord_bot, fake):
    lacking = DEFAULT_APP_PERMISSIONS & ~EMBED_LINKS & ~SEND_MESSAGES
    reply = await admin(fake, "set", time="09:00", app_permissions=lacking)
    assert "メッセージを送信、埋め込みリンク" in reply["content"]
    assert await bot.storage.schedules() == []
    now = await admin(fake, "now", app_permissions=lacking)
    assert "メッセージを送信、埋め込みリンク" in now["content"]
    assert fake.messages_in(CHANNEL) == []


@pytest.mark.parametrize(("guild_locale", "expected"), [("ja", "まだ回答がありません"), ("en-US", "No answers yet")])
async def test_a_new_server_speaks_its_preferred_language(bot, settings, fake, guild_locale, expected):
    bot.settings = replace(settings, locale=None)  # STUDYBOT_LOCALE not set
    adapter, task = await connect(bot, bot.settings, fake)
    try:
        stats = await command(
            fake, "study", sub("stats"), guild_locale=guild_locale, guild_id=1_200_000_000_000_000_001
        )
        assert expected in stats["embeds"][0]["description"]
    finally:
        await disconnect(adapter, task)


async def test_the_configured_language_wins_over_the_servers(bot, discord_bot, fake):
    stats = await command(fake, "study", sub("stats"), guild_locale="en-US")  # settings say ja
    assert "まだ回答がありません" in stats["embeds"][0]["description"]
    english = await admin(fake, "lang", language="en")
    assert english["content"] == "The bot now speaks English here."


async def test_no_message_can_mention_anyone(bot, discord_bot, fake):
    post, message = await daily_post(bot, fake, "sqs")
    right, _ = right_and_wrong(bot.question_of(post))
    await click(fake, f"sb:a:{post.id}:{right[0]}", message["id"], user_name="@everyone")
    await command(fake, "study", sub("leaderboard", period="all"))
    assert await bot.reveal(post.id)
    bodies = [c.json for c in fake.calls if c.method in ("POST", "PATCH") and isinstance(c.json, dict)]
    messages = [b.get("data", b) if "type" in b else b for b in bodies]
    messages = [m for m in messages if m and ("content" in m or "embeds" in m)]
    assert len(messages) >= 5
    assert [m for m in messages if m.get("allowed_mentions") != {"parse": []}] == []


async def test_user_names_are_shown_as_typed(bot, discord_bot, fake):
    post, message = await daily_post(bot, fake, "sqs")
    right, _ = right_and_wrong(bot.question_of(post))
    await click(
        fake,
        f"sb:a:{post.id}:{right[0]}",
        message["id"],
        user_id=1070,
        user_name="**boss** <@123456789012345678> @here",
    )
    board = await command(fake, "study", sub("leaderboard", period="all"))
    line = board["embeds"][0]["description"]
    assert "\\*\\*boss\\*\\*" in line and "<@123456789012345678>" not in line and "@here" not in line


async def test_help_mentions_the_commands_so_they_can_be_clicked(discord_bot, fake):
    study_id = discord_bot.command_ids["study"]
    admin_id = discord_bot.command_ids["study-admin"]
    reply = await command(fake, "study", sub("help"))
    assert f"</study quiz:{study_id}>" in reply["content"]
    assert f"</study-admin daily set:{admin_id}>" in reply["content"]
    assert "/study lookup" not in reply["content"].replace("</study lookup", "")


async def test_help_without_known_ids_keeps_plain_commands(bot, settings, fake):
    adapter, task = await connect(bot, settings, fake)
    adapter.command_ids.clear()
    try:
        reply = await command(fake, "study", sub("help"))
        assert "/study quiz" in reply["content"] and "</" not in reply["content"]
    finally:
        await disconnect(adapter, task)


async def test_the_bot_waits_for_the_click_without_dropping_others(bot, discord_bot, fake):
    """Many users clicking at once are each answered once, privately."""
    post, message = await daily_post(bot, fake, "sqs")
    right, _ = right_and_wrong(bot.question_of(post))
    payloads = [fake.click(f"sb:a:{post.id}:{right[0]}", message_id=message["id"], user_id=8000 + i) for i in range(30)]
    await asyncio.gather(*(fake.send_interaction(p) for p in payloads))
    replies = [await fake.wait_callback(p["id"]) for p in payloads]
    assert all("⭕ 正解です！" in r["data"]["content"] for r in replies)
    assert (await bot.storage.post_results(post.id)).answered == 30
