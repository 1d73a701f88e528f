"""Packs per community, through the core on both backends: `core` on and other packs off by default,
admins switch them, the daily post, practice, filters and lookup use only the community's packs, a pack
switched off keeps its answers and scores, and a reload that removes a pack leaves a clear note."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.console import ConsoleAdapter
from bot.cli import watch_content
from bot.commands import DailySpec, UserError, parse_time
from bot.content import load_content
from bot.core import StudyBot
from bot.packs import CORE
from bot.study_commands import Message, run_command
from tests.conftest import ADMIN, RecordingPlatform, actor, make_bot, right_and_wrong
from tests.packs_support import TEAM_QUESTIONS, packed_content

TEAM_ONLY = frozenset(TEAM_QUESTIONS)


@pytest.fixture
async def packed(settings, clock, tmp_path) -> AsyncIterator[StudyBot]:
    content_dir = packed_content(tmp_path)
    settings = replace(settings, content_dir=content_dir)
    core = await make_bot(settings, clock, load_content(content_dir), RecordingPlatform())
    yield core
    await core.close()


async def text_of(bot: StudyBot, who, *words: str) -> str:
    reply = await run_command(bot, who, list(words))
    assert isinstance(reply, Message), reply
    return reply.text


async def practice_ids(bot: StudyBot, who, times: int = 12) -> set[str]:
    return {(await bot.practice(who)).question.id for _ in range(times)}


async def test_storage_keeps_each_communitys_switches(packed):
    storage = packed.storage
    one = await storage.community("test", "g1", "", "ja", "Asia/Tokyo")
    two = await storage.community("test", "g2", "", "ja", "Asia/Tokyo")
    user = await storage.user("test", "u1", "U1")
    assert await storage.pack_switches(one.id) == {}
    await storage.switch_pack(one.id, "team", True, user.id, 100.0)
    await storage.switch_pack(one.id, CORE, False, None, 101.0)
    await storage.switch_pack(one.id, "team", False, user.id, 102.0)  # switched again: one row, the last word
    assert await storage.pack_switches(one.id) == {CORE: False, "team": False}
    assert await storage.pack_switches(two.id) == {}


async def test_a_new_community_has_core_on_and_the_other_packs_off(packed):
    text = await text_of(packed, ADMIN, "packs")
    lines = text.splitlines()
    assert lines[1].startswith("✅ core — ")
    assert "⬜ deck — Imported deck（ja、問題 1、用語 0）" in lines
    assert "⬜ team — Team SQS drills（en、問題 2、用語 1）" in lines
    ids = await practice_ids(packed, actor())
    assert not ids & TEAM_ONLY and "deck-route53-failover" not in ids


async def test_practice_filters_and_lookup_follow_the_switches(packed):
    me = actor()
    assert (await packed.lookup(me, "redrive")).entry is None  # the team's term, not on here
    assert "on" in await text_of(packed, ADMIN, "packs", "on", "team")
    assert (await packed.lookup(me, "redrive")).entry.id == "team-redrive"
    assert [e.id for e in await packed.complete_term(me, "redr")] == ["team-redrive"]
    await text_of(packed, ADMIN, "packs", "off", "core")
    assert await practice_ids(packed, me) == TEAM_ONLY
    assert (await packed.lookup(me, "可視性タイムアウト")).entry is None  # core's term, core is off
    with pytest.raises(UserError) as err:
        await packed.practice(me, "dynamodb")  # a core service, and no team question is about it
    assert err.value.key == "quiz.no_match"
    other = actor(community="g2")  # another server keeps the default
    assert not await practice_ids(packed, other) & TEAM_ONLY


async def test_the_daily_post_draws_from_the_communitys_packs(packed, clock):
    await text_of(packed, ADMIN, "packs", "on", "team")
    await text_of(packed, ADMIN, "packs", "off", "core")
    await packed.set_daily(ADMIN, DailySpec(parse_time("09:00")))
    posted = []
    for _ in range(3):
        result = await packed.daily_now(ADMIN)
        assert result.key == "daily.posted", result
        posted.append(result.post.question_id)
        clock.advance(days=1)
    assert set(posted) <= TEAM_ONLY
    with pytest.raises(UserError) as err:
        await packed.set_daily(ADMIN, DailySpec(parse_time("09:00"), filter_text="cloudformation"))
    assert err.value.key == "quiz.no_match"  # a filter is checked against the community's packs


async def test_a_pack_switched_off_keeps_its_answers_and_scores(packed, clock):
    await text_of(packed, ADMIN, "packs", "on", "team")
    await text_of(packed, ADMIN, "packs", "off", "core")
    await packed.set_daily(ADMIN, DailySpec(parse_time("09:00")))
    post = (await packed.daily_now(ADMIN)).post
    question = packed.question_of(post)
    assert question.pack == "team"
    right, _ = right_and_wrong(question)
    assert (await packed.answer(actor("u1"), post.id, right)).outcome.correct
    board = await packed.leaderboard(actor("u1"), "all")
    stats = await packed.stats(actor("u1"))
    await text_of(packed, ADMIN, "packs", "on", "core")
    await text_of(packed, ADMIN, "packs", "off", "team")
    assert await packed.leaderboard(actor("u1"), "all") == board
    after = await packed.stats(actor("u1"))
    assert after.total == stats.total and after.by_service == stats.by_service and after.total.correct == 1
    await packed.reveal(post.id)  # the post keeps its question whatever the switches
    assert packed.platforms["test"].reveals[-1][1].id == question.id


async def test_switching_is_for_admins_and_checks_the_name(packed):
    assert await text_of(packed, actor(), "packs") == "この操作は管理者のみ実行できます。"
    assert await text_of(packed, actor(), "packs", "on", "team") == "この操作は管理者のみ実行できます。"
    assert (await text_of(packed, ADMIN, "packs", "on", "nope")).startswith("「nope」という問題パックはありません")
    assert "core, deck, team" in await text_of(packed, ADMIN, "packs", "on", "nope")
    assert (await text_of(packed, ADMIN, "packs", "frob")).startswith("使い方: /packs list")
    refused = await text_of(packed, ADMIN, "packs", "off", "core")
    assert "最後の有効なパック" in refused  # practice would have nothing left
    assert await practice_ids(packed, actor(), 3)


async def test_a_pack_removed_on_disk_is_noted_not_a_crash(packed, clock):
    await text_of(packed, ADMIN, "packs", "on", "team")
    await text_of(packed, ADMIN, "packs", "off", "core")
    await packed.set_daily(ADMIN, DailySpec(parse_time("09:00")))
    shutil.rmtree(packed.settings.content_dir / "packs" / "team")
    await packed.reload_content()
    assert "team" not in packed.content.packs
    listed = await text_of(packed, ADMIN, "packs")
    assert "⚠️ team — 有効ですが内容から削除されたため出題されません" in listed
    refused = await text_of(packed, actor(), "quiz")
    assert refused.startswith(
        "このサーバーで有効な問題パックに問題がありません（有効なまま内容から削除されたパック: team）"
    )
    result = await packed.daily_now(ADMIN)
    assert result.key == "daily.no_packs" and result.error == "team"
    # The admin switches core back on and the vanished pack off: all is well again.
    await text_of(packed, ADMIN, "packs", "on", "core")
    assert "⚠️" not in await text_of(packed, ADMIN, "packs", "off", "team")
    assert (await packed.daily_now(ADMIN)).key == "daily.posted"


async def test_a_pack_added_on_disk_appears_switched_off(packed, tmp_path):
    shutil.copytree(packed.settings.content_dir / "packs" / "team", packed.settings.content_dir / "packs" / "team2")
    drills = packed.settings.content_dir / "packs" / "team2" / "drills.yaml"
    drills.write_text(drills.read_text().replace("team-sqs", "team2-sqs"))
    terms = packed.settings.content_dir / "packs" / "team2" / "lookup" / "terms.yaml"
    terms.write_text(terms.read_text().replace("team-redrive", "team2-redrive"))
    await packed.reload_content()
    assert "⬜ team2 — Team SQS drills" in await text_of(packed, ADMIN, "packs")
    assert not await practice_ids(packed, actor()) & {"team2-sqs-dlq", "team2-sqs-fifo"}


async def test_the_running_watcher_loads_a_new_pack_and_drops_a_removed_one(packed):
    watcher = asyncio.create_task(watch_content(packed, interval=0.05))
    try:
        shutil.rmtree(packed.settings.content_dir / "packs" / "deck")
        meta = packed.settings.content_dir / "packs" / "team" / "pack.yaml"
        for _ in range(50):  # the watcher may have taken its first look after the removal: touch again
            await asyncio.sleep(0.2)
            if "deck" not in packed.content.packs:
                break
            os.utime(meta)
        assert set(packed.content.packs) == {CORE, "team"}
        assert "deck-route53-failover" not in packed.content.questions
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def test_another_process_sees_a_switch_within_the_cache_time(packed, clock):
    """Two bots on one database, as two processes: a switch in one reaches the other's practice and lookup
    once its cached switches are older than switches_ttl; its own switches it sees at once."""
    other = await make_bot(packed.settings, clock, packed.content, RecordingPlatform())
    try:
        seconds = [100.0]
        packed.packs.monotonic = lambda: seconds[0]
        me = actor()
        assert (await packed.lookup(me, "redrive")).entry is None  # read and kept
        await text_of(other, ADMIN, "packs", "on", "team")
        assert (await other.lookup(me, "redrive")).entry is not None  # at once where it was switched
        assert (await packed.lookup(me, "redrive")).entry is None  # still the kept switches here
        seconds[0] += packed.packs.switches_ttl - 0.1
        assert (await packed.lookup(me, "redrive")).entry is None
        seconds[0] += 0.1
        assert (await packed.lookup(me, "redrive")).entry.id == "team-redrive"
    finally:
        await other.close()


async def test_the_console_switches_packs(packed):
    out: list[str] = []
    console = ConsoleAdapter(packed, "alice", out.append)

    async def lines(*items: str):
        for item in items:
            yield item

    await console.run(lines("/packs", "/packs on deck", "/quiz route53"))
    assert "⬜ deck — Imported deck" in out[1]
    assert out[2].startswith("「deck」を有効にしました。") and "✅ deck — Imported deck" in out[2]
    assert "📝 練習問題" in out[3]
