"""Charts and the weekly recap on Slack over loopback: files_upload_v2's three steps against the strict
fake (tests/fakes/slack_files.py), which refuses them without the manifest's files:write scope."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.charts import BOARD_SIZE, STATS_SIZE, png_size
from tests.conftest import right_and_wrong
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack_support import eventually, running_slack


@pytest.fixture
async def fake():
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


async def daily_post(bot, sender, fake):
    fake.admins.add("UADMIN")
    reply = await sender.command("daily set 09:00 sqs", user="UADMIN")
    assert "毎日の出題を設定しました" in reply["text"]
    reply = await sender.command("daily now", user="UADMIN")
    assert reply["text"] == "今日の一問を投稿しました。"
    return (await bot.storage.open_daily_posts())[-1]


async def test_stats_and_leaderboard_charts_go_to_the_persons_direct_messages(bot, settings, fake):
    async with asyncio.timeout(60), running_slack(bot, settings, fake) as (_, sender):
        post = await daily_post(bot, sender, fake)
        right, _ = right_and_wrong(bot.question_of(post))
        await sender.click(f"sb:a:{post.id}:{right[0]}", user="U1")
        reply = await sender.command("stats", user="U1")
        assert "回答 1 問" in reply["text"]
        assert "ダイレクトメッセージに送りました" in json.dumps(reply["blocks"], ensure_ascii=False)
        stats = fake.files.shared_in("DU1")
        assert len(stats) == 1 and stats[0].filename.startswith("stats-")
        assert png_size(stats[0].data) == STATS_SIZE
        asked = fake.of("files.getUploadURLExternal")[-1].body
        assert int(asked["length"]) == len(stats[0].data) and asked["filename"] == stats[0].filename
        await sender.command("leaderboard", user="U1")
        boards = [u for u in fake.files.shared_in("DU1") if u.filename == "leaderboard-week.png"]
        assert len(boards) == 1 and png_size(boards[0].data) == BOARD_SIZE
        assert fake.rejected == []


async def test_without_files_write_the_upload_is_refused_and_the_text_still_comes(bot, settings, fake):
    fake.scopes.discard("files:write")
    async with asyncio.timeout(60), running_slack(bot, settings, fake) as (_, sender):
        reply = await sender.command("stats", user="U1")
        assert "まだ回答がありません" in reply["text"]
        assert "ダイレクトメッセージ" not in json.dumps(reply["blocks"], ensure_ascii=False)
        assert fake.of("files.getUploadURLExternal")  # tried, and Slack said missing_scope
        assert fake.files.uploads == {}


async def test_the_weekly_recap_is_one_channel_message_with_its_chart(bot, settings, fake, clock):
    async with asyncio.timeout(60), running_slack(bot, settings, fake) as (_, sender):
        post = await daily_post(bot, sender, fake)
        right, wrong = right_and_wrong(bot.question_of(post))
        for i, user in enumerate(("U1", "U2", "U3", "U<!channel>")):
            fake.profiles[user] = {"display_name": "<!channel> &" if i == 3 else user, "real_name": ""}
            await sender.click(f"sb:a:{post.id}:{(right if i == 0 else wrong)[0]}", user=user)
        reply = await sender.command("recap on", user="U1")
        assert "管理者" in reply["text"]
        reply = await sender.command("recap on", user="UADMIN")
        assert "毎週月曜 09:00（Asia/Tokyo）" in reply["text"]
        channel_id = (await bot.storage.channels(1))[0].id
        clock.advance(days=7, hours=2)
        assert await bot.recaps.post_recap(channel_id) == "recap.posted"
        [recap] = fake.files.shared_in("C1")
        assert recap.filename == "recap-2026-W48.png" and png_size(recap.data) == BOARD_SIZE
        text = json.dumps(recap.blocks, ensure_ascii=False)
        assert "先週のまとめ" in text and "参加: 4 人・回答 4 件（正解 1 件）" in text
        assert "正答率 25%" in text  # the hardest question: 1 of 4 right
        assert "<!channel>" not in text  # names made inert
        assert await bot.recaps.post_recap(channel_id) == "recap.already"
        assert len(fake.files.shared_in("C1")) == 1


async def test_a_recap_to_a_channel_the_bot_left_switches_the_recap_off(bot, settings, fake, clock):
    async with asyncio.timeout(60), running_slack(bot, settings, fake) as (_, sender):
        await daily_post(bot, sender, fake)
        await sender.command("recap on", user="UADMIN")
        channel_id = (await bot.storage.channels(1))[0].id
        fake.gone["C1"] = "not_in_channel"
        clock.advance(days=7, hours=2)
        assert await bot.recaps.post_recap(channel_id) == "recap.failed"
        await eventually(lambda: _off(bot, channel_id))


async def _off(bot, channel_id: int) -> bool:
    return not await bot.storage.recap_enabled(channel_id)
