"""The console's reminder: /remind in the terminal, and the "direct message" printed at its time."""

from __future__ import annotations

import asyncio

from adapters.console import ConsoleAdapter
from tests.conftest import right_and_wrong


async def lines(*items: str):
    for item in items:
        yield item


async def test_remind_in_the_console_prints_the_reminder_at_its_time(bot, clock):
    out: list[str] = []
    console = ConsoleAdapter(bot, "alice", out.append)
    await console.run(lines("/quiz"))
    assert console.latest_post is not None
    _, wrong = right_and_wrong(bot.question_of(await bot.storage.post(console.latest_post)))
    await console.run(lines(",".join(wrong).upper(), "/remind 07:30"))  # answered wrong: due tomorrow
    assert "毎日 07:30（Asia/Tokyo）" in out[-1]
    clock.set("2026-11-24T07:30")
    await bot.reminders.sweep()
    await asyncio.wait_for(bot.reminders.settle(), 10)
    assert out[-1].startswith("\n[reminder → alice] 📚 console で復習する問題が 1 問")
    assert "/review" in out[-1]
    await console.run(lines("/remind off"))
    assert out[-1] == "復習リマインダーを止めました。"
