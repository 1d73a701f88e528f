"""`/study packs` in Slack over loopback, on both backends: workspace admins list and switch the packs,
everyone else is refused, and practice, lookup and the daily post follow the switches; a pack whose
choices lack explanations reveals what it has, through the strict fake's block rules."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.content import load_content
from bot.core import StudyBot
from tests.conftest import RecordingPlatform, make_bot
from tests.fakes.slack_api import FakeSlackAPI
from tests.packs_support import TEAM_QUESTIONS, packed_content
from tests.slack_support import running_slack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def packed(settings, clock, tmp_path) -> AsyncIterator[tuple[StudyBot, object]]:
    content_dir = packed_content(tmp_path)
    settings = replace(settings, content_dir=content_dir)
    core = await make_bot(settings, clock, load_content(content_dir), RecordingPlatform())
    yield core, settings
    await core.close()


async def test_admins_switch_packs_and_the_workspace_follows(packed, fake):
    bot, settings = packed
    fake.admins.add("UADMIN")
    async with running_slack(bot, settings, fake) as (_, sender):
        refused = await sender.command("packs on team", user="U1")
        assert refused["text"] == "この操作は管理者のみ実行できます。" and refused["response_type"] == "ephemeral"
        listed = await sender.command("packs", user="UADMIN")
        assert "⬜ team — Team SQS drills" in listed["text"]
        assert "/study packs on &lt;名前&gt;" in listed["text"]  # Slack shows the escaped text as typed
        assert (await sender.command("lookup redrive"))["text"].startswith("「redrive」は見つかりませんでした")
        switched = await sender.command("packs on team", user="UADMIN")
        assert switched["text"].startswith("「team」を有効にしました。")
        assert "✅ team — Team SQS drills" in json.dumps(switched["blocks"], ensure_ascii=False)
        assert "Redrive policy" in (await sender.command("lookup redrive"))["text"]
        await sender.command("packs off core", user="UADMIN")
        for _ in range(4):
            reply = await sender.command("quiz")
            actions = next(b for b in reply["blocks"] if b["type"] == "actions")
            post = await bot.storage.post(int(actions["elements"][0]["action_id"].split(":")[2]))
            assert post.question_id in TEAM_QUESTIONS
        usage = await sender.command("packs on", user="UADMIN")
        assert (
            usage["text"] == "使い方: /study packs list | /study packs on &lt;名前&gt; | /study packs off &lt;名前&gt;"
        )


async def test_a_pack_without_choice_explanations_reveals_what_it_has(packed, fake):
    bot, settings = packed
    fake.admins.add("UADMIN")
    async with running_slack(bot, settings, fake) as (_, sender):
        await sender.command("packs on deck", user="UADMIN")
        await sender.command("packs off core", user="UADMIN")
        assert "毎日の出題を設定しました" in (await sender.command("daily set 09:00", user="UADMIN"))["text"]
        assert (await sender.command("daily now", user="UADMIN"))["text"] == "今日の一問を投稿しました。"
        post = (await bot.storage.open_daily_posts())[-1]
        assert post.question_id == "deck-route53-failover"
        assert await bot.reveal(post.id)
        update = (await fake.wait_for("chat.update"))[-1].body
        texts = [b["text"]["text"] for b in update["blocks"] if b["type"] == "section"]
        assert "フェイルオーバールーティング" in texts  # the choice alone: it has no explanation
        assert "加重ルーティング\n重みで分散する方式です。" in texts
