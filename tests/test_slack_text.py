"""What people read in Slack: hostile names and content arrive escaped, choices keep their text whatever it
holds, the daily post says when it closes, and durations read naturally. Through the running adapter and
the strict fake, which refuses any raw `&`, `<`, `>`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters.slack.blocks import reveal_blocks
from adapters.slack.escape import chunks, escape, fit
from bot.models import PostResults
from bot.render import duration_text, local_time
from tests.conftest import right_and_wrong
from tests.fakes.slack_api import TEAM
from tests.fakes.slack_rules import iter_texts
from tests.slack_support import eventually
from tests.test_slack import daily_post, elements_of, fake, slack  # noqa: F401  (fixtures)

HOSTILE = ["<!channel>", "<@U123>", "<https://evil.example|click me>", "&amp;", "*bold* _it_ ~s~ `c`"]


def shown(message: dict) -> str:
    return "\n".join([message.get("text", ""), *iter_texts(message.get("blocks", []))])


async def test_hostile_display_names_are_escaped_on_the_leaderboard(bot, slack, fake):  # noqa: F811
    _, sender = slack
    post, _ = await daily_post(bot, sender, fake, "sqs")
    right, _ = right_and_wrong(bot.question_of(post))
    for n, name in enumerate(HOSTILE):
        user = f"UH{n}"
        fake.profiles[user] = {"display_name": name, "real_name": "Real"}
        await sender.command("stats", user=user)  # a command asks users.info for the name
        await sender.click(f"sb:a:{post.id}:{right[0]}", user=user)
    board = await sender.command("leaderboard all")
    text = shown(board)
    for name in HOSTILE:
        assert escape(name) in text
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    stats = await sender.command("stats", user="UH0")
    assert "&lt;!channel&gt;" in stats["text"]
    assert fake.rejected == []


async def test_names_fall_back_from_display_name_to_real_name_to_name(bot, slack, fake):  # noqa: F811
    _, sender = slack
    fake.profiles["UREAL"] = {"display_name": "", "real_name": "Hanako Yamada"}
    fake.user_names["UNAME"] = "taro"
    fake.profiles["UDISP"] = {"display_name": "hana", "real_name": "Hanako Yamada"}
    assert "Hanako Yamada" in (await sender.command("stats", user="UREAL"))["text"]
    assert "taro" in (await sender.command("stats", user="UNAME"))["text"]
    assert "hana さん" in (await sender.command("stats", user="UDISP"))["text"]
    calls = len(fake.of("users.info"))
    await sender.command("stats", user="UDISP")
    assert len(fake.of("users.info")) == calls  # cached


async def test_help_and_user_text_are_escaped(slack, fake):  # noqa: F811
    _, sender = slack
    help_reply = await sender.command("help")
    assert "/study lookup &lt;用語&gt;" in help_reply["text"]
    assert "&lt;用語&gt;" in shown(help_reply)
    unknown = await sender.command("<!here>&")
    assert "&lt;!here&gt;&amp;" in unknown["text"] and "<!here>" not in shown(unknown)
    assert fake.rejected == []


async def test_lookup_hint_names_the_slack_command(slack, fake):  # noqa: F811
    _, sender = slack
    many = await sender.command("lookup s")
    assert "（/study lookup " in many["text"] and "（/lookup " not in many["text"]


async def test_daily_post_says_when_it_closes_with_the_time_zone(bot, slack, fake):  # noqa: F811
    _, sender = slack
    post, message = await daily_post(bot, sender, fake, "sqs")
    assert "16:00 (Asia/Tokyo) に締め切り" in shown(message)  # posted 08:00, revealed 8 hours later
    right, _ = right_and_wrong(bot.question_of(post))
    feedback = await sender.click(f"sb:a:{post.id}:{right[0]}")
    assert "16:00 (Asia/Tokyo) に公開されます" in feedback["text"]
    await sender.command("lang en", user="UADMIN")
    reply = await sender.command("daily set 09:00 reveal=90m", user="UADMIN")
    assert "revealed after 1 h 30 min" in reply["text"]


@pytest.mark.parametrize(
    ("minutes", "ja", "en"),
    [(2, "2分", "2 min"), (480, "8時間", "8 h"), (90, "1時間30分", "1 h 30 min"), (0, "0分", "0 min")],
)
def test_durations_read_naturally(minutes, ja, en):
    assert (duration_text(minutes, "ja"), duration_text(minutes, "en")) == (ja, en)


def test_local_time_names_the_zone_and_the_date_when_it_is_another_day():
    posted = 1_764_540_000.0  # 2025-12-01 07:00 in Tokyo
    assert local_time(posted + 3600, "Asia/Tokyo", since=posted) == "08:00 (Asia/Tokyo)"
    assert local_time(posted + 20 * 3600, "Asia/Tokyo", since=posted) == "12/02 03:00 (Asia/Tokyo)"


def test_reveal_keeps_any_choice_text_and_marks_the_answer_apart(content):
    question = next(q for q in content.questions.values() if not q.multi)
    odd = ["two\nlines", "*star* and _under_", "~tilde~ `code` ```block```", "a < b && c > d"]
    choices = tuple(replace(c, text=odd[i % len(odd)]) for i, c in enumerate(question.choices))
    question = replace(question, choices=choices)
    blocks = reveal_blocks(question, PostResults(3, 1, {}), "ja")
    plain = [b["text"]["text"] for b in blocks if b["type"] == "section" and b["text"]["type"] == "plain_text"]
    marks = [b["text"]["text"] for b in blocks if b["type"] == "section" and b["text"]["text"][:1] in "✅❌"]
    for c in choices:
        assert any(p.startswith(escape(c.text) + "\n") for p in plain)  # whole, in plain text: no markup
        assert all(c.text not in m for m in marks)  # never wrapped in *…*
    answer = sorted(question.answer)[0].upper()
    assert f"✅ *{answer}*　（0）" in marks


def test_fit_and_chunks_never_cut_an_entity():
    text = escape("<" * 2000)  # 8,000 characters of &lt;
    assert fit(text, 3000).endswith("&lt;…") and len(fit(text, 3000)) <= 3000
    pieces = chunks(text, 3000)
    assert all(len(p) <= 3000 and p.count("&") == p.count(";") for p in pieces)
    assert "".join(pieces) == text
    assert chunks("\n".join("a" * 10), 5) == ["a\na\na", "a\na\na", "a\na\na", "a"]  # cut at line ends


def test_every_platform_says_when_the_daily_question_closes(content):
    """One helper (bot.render.closing_text) for Slack, Discord and the console."""
    from adapters.discord.embeds import question_embed
    from bot.models import PostKind
    from bot.render import question_text
    from tests.test_slack_rules import daily_post as make_post

    question = next(iter(content.questions.values()))
    post = make_post(1, question.id, PostKind.DAILY)  # posted 07:00 in Tokyo, revealed 8 h later
    assert question_embed(post, question, "en", "Asia/Tokyo").footer.text == "closes at 15:00 (Asia/Tokyo)"
    assert "15:00 (Asia/Tokyo) に締め切り" in question_text(post, question, "ja", "Asia/Tokyo")
    practice = make_post(2, question.id, PostKind.PRACTICE)
    assert question_embed(practice, question, "ja", "Asia/Tokyo").footer.text is None


async def test_a_click_only_user_gets_the_display_name_looked_up_in_the_background(bot, slack, fake):  # noqa: F811
    adapter, sender = slack
    post, _ = await daily_post(bot, sender, fake, "sqs")
    right, _ = right_and_wrong(bot.question_of(post))
    fake.profiles["UCLICK"] = {"display_name": "<b>Hanako</b>", "real_name": ""}
    before = len(fake.of("users.info"))
    await sender.click(f"sb:a:{post.id}:{right[0]}", user="UCLICK")  # stored as "uclick", the account name
    await fake.wait_for("users.info", before + 1)  # asked after, not before, the answer

    async def name_known() -> bool:  # Slack's answer has come back, not only the question gone out
        return adapter.known_name("UCLICK", "", TEAM) == "<b>Hanako</b>"

    await eventually(name_known)
    await sender.click(f"sb:a:{post.id}:{right[0]}", user="UCLICK")  # already answered; the name is kept now
    board = await sender.command("leaderboard all")
    assert "&lt;b&gt;Hanako&lt;/b&gt;" in board["text"] and "uclick" not in board["text"]
