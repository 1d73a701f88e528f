"""/study review and /study retention on Slack, over loopback through the signed HTTP endpoint and the
fake Web API: the review is ephemeral with its buttons, its answer a review, the setting admins only."""

from __future__ import annotations

import asyncio

from tests.conftest import right_and_wrong
from tests.test_slack import elements_of, fake, slack  # noqa: F401 (the fixtures)


async def test_review_is_ephemeral_and_its_answer_a_review(bot, slack, fake):  # noqa: F811
    async with asyncio.timeout(30):
        _, sender = slack
        reply = await sender.command("review")
        assert reply["response_type"] == "ephemeral"
        assert "🔁 復習" in reply["text"] and "新しい問題です" in reply["text"]
        post = await bot.storage.post(1)
        question = bot.question_of(post)
        right, _ = right_and_wrong(question)
        elements = elements_of(reply["blocks"])
        if question.multi:
            state = {
                f"sb:q:{post.id}": {
                    f"sb:pick:{post.id}": {"type": "checkboxes", "selected_options": [{"value": c} for c in right]}
                }
            }
            feedback = await sender.click(f"sb:submit:{post.id}", state=state)
        else:
            assert any(e["action_id"] == f"sb:a:{post.id}:{right[0]}" for e in elements)
            feedback = await sender.click(f"sb:a:{post.id}:{right[0]}")
        assert "⭕ 正解です！" in feedback["text"]
        logs = await bot.storage.review_logs(post.owner_id, post.community_id)
        assert [log.question_id for log in logs] == [question.id]
        japanese = await sender.command("復習")
        assert "🔁 復習" in japanese["text"]


async def test_retention_is_for_workspace_admins(bot, slack, fake):  # noqa: F811
    async with asyncio.timeout(30):
        _, sender = slack
        refused = await sender.command("retention 0.8", user="UMEMBER")
        assert refused["text"] == "この操作は管理者のみ実行できます。"
        fake.admins.add("UADMIN")
        done = await sender.command("retention 0.8", user="UADMIN")
        assert done["text"] == "復習の目標正答率を 0.8 にしました。次の回答から使われます。"
        bad = await sender.command("retention lots", user="UADMIN")
        assert bad["text"].startswith("使い方: /study retention 0.9")
        community = await bot.storage.community_by_id(1)
        assert community is not None and community.desired_retention == 0.8
