"""The console adapter, driven through its input lines and read from its output."""

from __future__ import annotations

import os
import subprocess
import sys

from adapters.console import ConsoleAdapter
from bot.config import PROJECT_ROOT
from bot.scheduler import DailyScheduler


async def lines(*items: str):
    for item in items:
        yield item


def make_console(bot, name="alice"):
    out: list[str] = []
    console = ConsoleAdapter(bot, name, out.append)
    return console, out


async def test_daily_loop_through_the_console(bot, clock):
    console, out = make_console(bot)
    await console.run(lines("/daily set 09:00 Asia/Tokyo mon-fri", "/daily now"))
    assert "mon-fri 09:00（Asia/Tokyo）" in out[1]
    assert out[2].startswith("\n[#1] 📚 今日の一問")
    post = await bot.storage.post(1)
    question = bot.question_of(post)
    answer = ",".join(sorted(question.answer)).upper()
    await console.run(lines(answer, answer, "/name bob", "/leaderboard all", "/stats"))
    assert "⭕ 正解です！ +10点（連続 1 日）" in out[4]
    assert "回答済み" in out[5]
    assert out[6] == "you are now bob"
    assert "1. alice — 10点（1/1 正解、連続 1 日）" in out[7]
    assert "まだ回答がありません" in out[8]  # bob has not answered
    await bot.reveal(post.id)
    assert "✅ 正解発表" in out[-1] and "回答 1 人、正解率 100%" in out[-1]


async def test_practice_lookup_and_bad_input(bot, clock):
    console, out = make_console(bot)
    await console.run(lines("/quiz sqs", "Z"))
    question = bot.question_of(await bot.storage.post(1))
    right = ",".join(sorted(question.answer)).upper()
    await console.run(lines(right, "/lookup ｇｓｉ", "/lookup", "/frobnicate", "/daily set 9am"))
    assert "📝 練習問題" in out[1]
    assert "選択肢 Z はこの問題にありません" in out[2]
    assert out[3].startswith("使えるコマンド")  # each run starts with the help
    assert "⭕ 正解です！" in out[4]
    assert "🔎 グローバルセカンダリインデックス" in out[5]
    assert out[6].startswith("使い方: /lookup")
    assert "「/frobnicate」というコマンドはありません" in out[7]
    assert "時刻 9am が読めません" in out[8]


async def test_the_greeting_is_the_whole_help(bot, clock):
    console, out = make_console(bot)
    await console.run(lines("/help"))
    assert out[0] == out[1]  # the greeting once showed the help without /review and /retention
    for command in ("/quiz", "/lookup", "/review", "/remind", "/retention", "/packs", "/recap"):
        assert command in out[0]


async def test_english_locale(bot, clock):
    console, out = make_console(bot)
    await console.run(lines("/lang en", "/stats", "/leaderboard month"))
    assert "No answers yet" in out[2]
    assert "Leaderboard (this month)" in out[3]


async def test_scheduled_post_arrives_in_the_console(bot, clock):
    console, out = make_console(bot)
    await console.run(lines("/daily set 07:00"))
    scheduler = DailyScheduler(bot)
    await scheduler.start()  # it is 08:00: today's 07:00 post is caught up
    await scheduler.stop()
    assert any("📚 今日の一問" in text for text in out)


def test_studybot_console_command_end_to_end(tmp_path):
    """The real command line, as a person would run it, over a pipe."""
    env = {**os.environ, "STUDYBOT_DATABASE": str(tmp_path / "c.db"), "STUDYBOT_CONSOLE_USER": "carol"}
    for var in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        env.pop(var, None)
    # The bank holds questions with one, two and three answers; the first line that fits is the answer.
    script = "/lookup オートスケーリング\n/daily now\nA\nA,B\nA,B,C\n/stats\n/quit\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "you are carol" in result.stdout
    assert "🔎" in result.stdout
    assert "今日の一問" in result.stdout
    assert "carol さんの成績" in result.stdout
    assert "回答 1 問" in result.stdout


def test_odd_question_numbers_get_a_message_and_the_console_keeps_running(tmp_path):
    """Through the real console over stdin: each odd /answer gets its line, and the session goes on
    to the end (the last command's reply is there and the exit code is 0)."""
    env = {**os.environ, "STUDYBOT_DATABASE": str(tmp_path / "c.db"), "STUDYBOT_CONSOLE_USER": "dave"}
    for var in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        env.pop(var, None)
    odd = ["/answer 99999999999999999999 A", "/answer ² A", "/answer -1 A", "/answer #0 A", "/answer ١٢ A"]
    script = "\n".join(
        [*odd, "/answer abc", "/answer 9223372036854775807 A", "/daily now", "/answer abc", "/stats", "/quit"]
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        input=script + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for value in ("99999999999999999999", "²", "-1", "#0", "١٢"):
        assert f"{value} は問題の番号ではありません" in result.stdout, value
    assert "今日の一問" in result.stdout
    assert "dave さんの成績" in result.stdout  # the last command still ran
