"""/study review and /study-admin retention on Discord, through the strict fake: the commands as uploaded,
the private review question, its answer as a review, readiness in /study stats."""

from __future__ import annotations

import asyncio

from tests.conftest import right_and_wrong
from tests.discord_adapter.support import ADMIN_ID, EPHEMERAL, MANAGE_GUILD, click, command, sub
from tests.fakes.discord_api import FakeDiscord

FOLLOWUP_ID = 990001  # the private reply's message (the fake keeps no id for followups)


async def test_review_and_retention_commands_are_uploaded_with_japanese_names(discord_bot, fake):
    by_name = {c["name"]: c for c in fake.commands[FakeDiscord.GUILD_ID]}
    review = next(o for o in by_name["study"]["options"] if o["name"] == "review")
    assert review["name_localizations"]["ja"] == "復習"
    retention = next(o for o in by_name["study-admin"]["options"] if o["name"] == "retention")
    [value] = retention["options"]
    assert value["type"] == 10 and (value["min_value"], value["max_value"]) == (0.7, 0.97)  # NUMBER, bounded


async def test_a_review_is_private_and_its_answer_a_review(bot, discord_bot, fake):
    async with asyncio.timeout(30):
        reply = await command(fake, "study", sub("review"))
        assert reply["flags"] & EPHEMERAL
        embed = reply["embeds"][0]
        assert embed["title"].startswith("🔁 復習")
        assert embed["footer"]["text"] == "今日の復習はすべて終わりました。新しい問題です。"
        post = await bot.storage.post(1)
        question = bot.question_of(post)
        right, _ = right_and_wrong(question)
        if question.multi:
            feedback = await click(fake, f"sb:m:{post.id}", FOLLOWUP_ID, values=right, component_type=3)
        else:
            feedback = await click(fake, f"sb:a:{post.id}:{right[0]}", FOLLOWUP_ID)
        assert feedback["data"]["flags"] & EPHEMERAL and "⭕ 正解です！" in feedback["data"]["content"]
        logs = await bot.storage.review_logs(post.owner_id, post.community_id)
        assert [log.question_id for log in logs] == [question.id]
        stats = await command(fake, "study", sub("stats"))
        assert "試験の準備度" in stats["embeds"][0]["description"]


async def test_retention_is_set_by_a_server_manager(bot, discord_bot, fake):
    async with asyncio.timeout(30):
        options = [{"name": "retention", "type": 1, "options": [{"name": "value", "type": 10, "value": 0.85}]}]
        reply = await command(fake, "study-admin", options, user_id=ADMIN_ID, permissions=MANAGE_GUILD)
        assert reply["content"] == "復習の目標正答率を 0.85 にしました。次の回答から使われます。"
        community = await bot.storage.community_by_id(1)
        assert community is not None and community.desired_retention == 0.85
