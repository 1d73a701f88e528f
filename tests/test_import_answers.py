"""Imported questions in play: an answer's feedback shows only the explanations that exist, and answers
recorded against an imported question still count for it after the file is imported again (its id is
stable), on a real SQLite database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.commands import parse_daily_set
from bot.content import load_content
from bot.importing import ImportOptions, import_files
from bot.render import feedback_text
from tests.conftest import ADMIN, actor, make_bot
from tests.import_support import FIXTURES, content_copy


async def study_only_the_pack(bot) -> None:  # type: ignore[no-untyped-def]
    """The community studies the imported pack alone (the shipped bank switched off)."""
    community = (await bot.context(ADMIN)).community
    await bot.storage.switch_pack(community.id, "team", True, None, 1.0)
    await bot.storage.switch_pack(community.id, "core", False, None, 1.0)


@pytest.fixture
def imported(tmp_path):
    content = content_copy(tmp_path)
    source = tmp_path / "saa-questions-en.md"
    source.write_text((FIXTURES / "saa-questions-en.md").read_text(encoding="utf-8"), encoding="utf-8")
    import_files(content, [source], ImportOptions(pack="team"), meta={"licence": "MIT", "source": "s"})
    return content, source


async def test_feedback_and_stats_survive_a_reimport(imported, settings, clock, platform):
    content, source = imported
    bot = await make_bot(replace(settings, content_dir=content), clock, load_content(content), platform)
    try:
        await study_only_the_pack(bot)
        clock.set("2026-11-23T09:00")
        schedule = await bot.set_daily(ADMIN, parse_daily_set(["09:00", "SAA-C03"]))
        post = (await bot.post_daily(schedule)).post
        question = bot.question_of(post)
        assert question is not None and not question.choice_explanations
        unexplained = next(c.id for c in question.choices if not c.explanation)
        others = [c.id for c in question.choices if c.id != unexplained]
        chosen = [unexplained] if not question.multi else [unexplained, others[0]]
        text = feedback_text(await bot.answer(actor("u1"), post.id, chosen), "Asia/Tokyo")
        assert f"{unexplained.upper()}: \n" not in text + "\n" and not text.rstrip().endswith(":")
        # the file edited and imported again: the same ids, so the recorded answer still counts for it
        source.write_text(source.read_text(encoding="utf-8").replace("lowest latency for the user", "lowest latency"))
        import_files(content, [source], ImportOptions(pack="team"))
        bot.content = load_content(content)  # what a content reload does
        assert post.question_id in bot.content.questions
        stats = await bot.stats(actor("u1"))
        assert stats.total.answered == 1 and stats.by_exam["SAA-C03"].answered == 1
        assert stats.by_service["route53"].answered == 1
    finally:
        await bot.close()
