"""The App Home tab through the running adapter: a signed `app_home_opened` event makes the bot publish
the person's own stats and streak and the weekly top 10, escaped, in a view the strict fake accepts."""

from __future__ import annotations

import json
import re

from tests.conftest import right_and_wrong
from tests.fakes.slack_api import TEAM
from tests.fakes.slack_rules import iter_texts
from tests.test_slack import daily_post, fake, slack  # noqa: F401  (fixtures)


def home_opened(user: str, tab: str = "home") -> str:
    return json.dumps(
        {
            "token": "x",
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{user}{tab}",
            "event_time": 1,
            "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": tab, "event_ts": "1.0"},
        }
    )


async def test_home_tab_shows_own_stats_and_the_weekly_top_10(bot, slack, fake):  # noqa: F811
    _, sender = slack
    post, _ = await daily_post(bot, sender, fake, "sqs")
    right, wrong = right_and_wrong(bot.question_of(post))
    fake.profiles["U00"] = {"display_name": "<!channel> & co", "real_name": ""}
    await sender.command("stats", user="U00")
    for n in range(12):
        await sender.click(f"sb:a:{post.id}:{(right if n < 11 else wrong)[0]}", user=f"U{n:02d}")
    status, _ = await sender.post(home_opened("U00"), content_type="application/json")
    assert status == 200
    [publish] = await fake.wait_for("views.publish")
    assert publish.body["user_id"] == "U00" and publish.body["view"]["type"] == "home"
    texts = "\n".join(iter_texts(publish.body["view"]["blocks"]))
    assert "&lt;!channel&gt; &amp; co さんの成績" in texts and "<!channel>" not in texts
    assert "連続回答: 現在 1 日、最高 1 日" in texts
    assert "ランキング（今週）" in texts
    rows = re.findall(r"^\d+\. ", texts, flags=re.M)
    assert len(rows) == 10  # the top 10 of 12
    assert "/study quiz" in texts and "&lt;用語&gt;" in texts
    assert fake.rejected == []


async def test_home_tab_for_someone_new_and_the_messages_tab(bot, slack, fake):  # noqa: F811
    _, sender = slack
    await sender.post(home_opened("UNEW", tab="messages"), content_type="application/json")
    status, _ = await sender.post(home_opened("UNEW"), content_type="application/json")
    assert status == 200
    [publish] = await fake.wait_for("views.publish")  # only the Home tab gets a view
    texts = "\n".join(iter_texts(publish.body["view"]["blocks"]))
    assert "まだ回答がありません" in texts
    assert fake.rejected == []


def test_manifest_turns_the_home_tab_on():
    import yaml

    from bot.config import PROJECT_ROOT

    manifest = yaml.safe_load((PROJECT_ROOT / "adapters" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
