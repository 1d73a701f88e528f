"""`studybot db copy`: a whole deployment moves from SQLite to PostgreSQL and back, every row and every
total kept, and the bot goes on where it left off; a target that holds data is refused untouched."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.cli import main
from tests.conftest import actor, fetch_row, make_bot
from tests.test_streaks import answer, post_on


async def cli(*args: str) -> int:
    """The command line, in a thread of its own (it runs its own event loop)."""
    return await asyncio.wait_for(asyncio.to_thread(main, list(args)), 60)


async def state(bot) -> tuple:
    """What users see: the boards, the streaks and the results of the first post."""
    boards = [await bot.leaderboard(actor("u1"), period) for period in ("all", "month", "week")]
    community = (await bot.context(actor("u1"))).community
    streaks = [await bot.storage.streak(community.id, (await bot.storage.user("test", u)).id) for u in ("u1", "u2")]
    return (
        [[(r.rank, r.name, r.points, r.correct, r.answered, r.streak) for r in b.rows] for b in boards],
        streaks,
        await bot.storage.post_results(1),
        await bot.storage.pack_switches(community.id),
    )


async def deployment(settings, clock, content):
    """Two days of a channel: three users, one of them wrong, one with a two-day streak."""
    bot = await make_bot(settings, clock, content)
    for day, users in (("2026-11-23", ("u1", "u2", "u3")), ("2026-11-24", ("u1", "u3"))):
        post = await post_on(bot, clock, day)
        for user in users:
            await answer(bot, post, user, correct=user != "u3")
        await bot.reveal(post.id)
    community = (await bot.context(actor("u1"))).community
    await bot.storage.switch_pack(community.id, "team", True, None, 1.0)  # the community's packs move too
    seen = await state(bot)
    await bot.close()
    return seen


async def test_sqlite_to_postgresql_and_back_keeps_everything(settings, clock, content, tmp_path, postgres_url, capsys):
    sqlite_file = settings.database
    before = await deployment(settings, clock, content)

    assert await cli("db", "copy", str(sqlite_file), postgres_url) == 0
    assert "5 answers" in capsys.readouterr().out
    on_postgres = replace(settings, database=postgres_url)
    bot = await make_bot(on_postgres, clock, content)
    assert await state(bot) == before
    # The bot goes on: a third day continues u1's streak, and new rows get new ids.
    post = await post_on(bot, clock, "2026-11-25")
    assert post.id == 3
    outcome = await answer(bot, post, "u1")
    assert (outcome.points, outcome.streak) == (12, 3)
    after_postgres = await state(bot)
    await bot.close()

    back = tmp_path / "back" / "studybot.db"
    assert await cli("db", "copy", postgres_url, str(back)) == 0
    bot = await make_bot(replace(settings, database=back), clock, content)
    assert await state(bot) == after_postgres  # the totals are not folded a second time
    await bot.close()


async def test_a_target_with_data_is_refused_and_left_as_it_was(settings, clock, content, postgres_url, capsys):
    await deployment(settings, clock, content)
    assert await cli("db", "copy", str(settings.database), postgres_url) == 0
    capsys.readouterr()
    assert await cli("db", "copy", str(settings.database), postgres_url) == 2
    assert "already holds data" in capsys.readouterr().err
    assert await fetch_row(postgres_url, "SELECT COUNT(*) FROM answers") == (5,)


def test_a_missing_source_or_the_same_database_twice_is_refused(tmp_path, capsys):
    assert main(["db", "copy", str(tmp_path / "none.db"), str(tmp_path / "t.db")]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "t.db").exists()
    (tmp_path / "a.db").touch()
    assert main(["db", "copy", str(tmp_path / "a.db"), str(tmp_path / "a.db")]) == 2
    assert "same database" in capsys.readouterr().err
