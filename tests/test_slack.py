"""The Slack adapter end to end over loopback: signed requests into the running Bolt app, and a fake
Slack Web API that records every call the app makes."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import SlackAdapter
from bot.models import PostStatus
from tests.conftest import right_and_wrong
from tests.fakes.slack_api import TEAM, FakeSlackAPI, Scripted

SECRET = "test-signing-secret"


class SignedSlack:
    """Sends requests the way Slack does: signed with the app's signing secret."""

    def __init__(self, url: str, fake: FakeSlackAPI):
        self.url = url
        self.fake = fake
        self.session = aiohttp.ClientSession()

    async def post(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = signature or SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
        async with self.session.post(self.url, data=body.encode(), headers=headers) as resp:
            return resp.status, await resp.text()

    def command_body(self, text: str, user: str = "U1", channel: str = "C1") -> str:
        return urlencode(
            {
                "command": "/study",
                "text": text,
                "user_id": user,
                "user_name": user.lower(),
                "channel_id": channel,
                "channel_name": "study",
                "team_id": TEAM,
                "trigger_id": "t",
                "response_url": self.fake.response_url(),
            }
        )

    async def command(self, text: str, user: str = "U1", channel: str = "C1") -> dict:
        before = len(self.fake.responses)
        status, _ = await self.post(self.command_body(text, user, channel))
        assert status == 200
        return (await self.fake.wait_for("respond", before + 1))[-1].body

    def click_body(self, action_id: str, user: str = "U1", value: str | None = None, state: dict | None = None) -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "team": {"id": TEAM},
            "channel": {"id": "C1"},
            "api_app_id": "A1",
            "token": "x",
            "trigger_id": "t",
            "container": {"type": "message", "message_ts": "1.0", "channel_id": "C1"},
            "response_url": self.fake.response_url(),
            "actions": [
                {"action_id": action_id, "block_id": "b", "value": value or "", "type": "button", "action_ts": "1.1"}
            ],
        }
        if state is not None:
            payload["state"] = {"values": state}
        return urlencode({"payload": json.dumps(payload)})

    async def click(self, action_id: str, user: str = "U1", state: dict | None = None) -> dict:
        before = len(self.fake.responses)
        status, _ = await self.post(self.click_body(action_id, user, state=state))
        assert status == 200
        return (await self.fake.wait_for("respond", before + 1))[-1].body


def elements_of(blocks: list[dict]) -> list[dict]:
    """The interactive elements (buttons, checkboxes) of a message."""
    return next(b for b in blocks if b["type"] == "actions")["elements"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def slack(bot, settings, fake) -> AsyncIterator[tuple[SlackAdapter, SignedSlack]]:
    client = AsyncWebClient(token="xoxb-test", base_url=fake.base + "/api/")
    settings = replace(
        settings,
        slack_signing_secret=SECRET,
        slack_bot_token="xoxb-test",
        slack_response_hosts=(fake.response_url(""),),
    )
    adapter = SlackAdapter(bot, settings, client)
    runner = await adapter.start_http("127.0.0.1", 0, "/slack/events")
    port = runner.addresses[0][1]
    sender = SignedSlack(f"http://127.0.0.1:{port}/slack/events", fake)
    yield adapter, sender
    await sender.session.close()
    await runner.cleanup()
    await adapter.close()


async def daily_post(bot, sender, fake, *filters: str):
    fake.admins.add("UADMIN")
    reply = await sender.command(" ".join(["daily", "set", "09:00", *filters]), user="UADMIN")
    assert "毎日の出題を設定しました" in reply["text"]
    reply = await sender.command("daily now", user="UADMIN")
    assert reply["text"] == "今日の一問を投稿しました。"
    message = fake.of("chat.postMessage")[-1].body
    post = (await bot.storage.open_daily_posts())[-1]
    return post, message


async def test_help_and_unknown_subcommand(slack, fake):
    _, sender = slack
    reply = await sender.command("")
    assert "/study quiz" in reply["text"] and reply["response_type"] == "ephemeral"
    reply = await sender.command("frobnicate")
    assert "「/study frobnicate」というコマンドはありません" in reply["text"]


async def test_quiz_is_ephemeral_with_buttons(bot, slack, fake):
    _, sender = slack
    reply = await sender.command("quiz sqs")
    assert reply["response_type"] == "ephemeral"
    buttons = elements_of(reply["blocks"])
    assert [e["text"]["text"] for e in buttons] == ["A", "B", "C"]
    [practice] = [p for p in [await bot.storage.post(1)] if p]
    right = sorted(bot.question_of(practice).answer)[0]
    feedback = await sender.click(next(b["action_id"] for b in buttons if b["action_id"].endswith(f":{right}")))
    assert "⭕ 正解です！" in feedback["text"] and feedback["replace_original"] is False


async def test_lookup_entry_list_and_suggestion(slack):
    _, sender = slack
    assert "🔎 グローバルセカンダリインデックス" in (await sender.command("lookup GSI"))["text"]
    many = await sender.command("lookup s")
    buttons = elements_of(many["blocks"])
    picked = await sender.click(buttons[0]["action_id"])
    assert picked["text"].startswith("🔎")
    assert "もしかして" in (await sender.command("lookup dynmodbxx"))["text"]
    assert "使い方: /study lookup" in (await sender.command("lookup"))["text"]


async def test_daily_set_is_for_admins_only(bot, slack, fake):
    _, sender = slack
    reply = await sender.command("daily set 09:00", user="UMEMBER")
    assert reply["text"] == "この操作は管理者のみ実行できます。"
    assert await bot.storage.schedules() == []
    assert fake.of("users.info")[-1].body["user"] == "UMEMBER"


async def test_admin_from_configuration(bot, settings, fake):
    adapter = SlackAdapter(
        bot, replace(settings, admins=("UCONF",)), AsyncWebClient(token="x", base_url=fake.base + "/api/")
    )
    assert await adapter.is_admin("UCONF") is True
    assert fake.of("users.info") == []  # no API call needed


async def test_daily_answer_twice_reveal_and_leaderboard(bot, slack, fake):
    _, sender = slack
    post, message = await daily_post(bot, sender, fake, "sqs")
    assert message["channel"] == "C1"
    buttons = elements_of(message["blocks"])
    question = bot.question_of(post)
    right, wrong = right_and_wrong(question)
    first = await sender.click(f"sb:a:{post.id}:{right[0]}")
    assert "⭕ 正解です！ +10点" in first["text"] and first["response_type"] == "ephemeral"
    second = await sender.click(f"sb:a:{post.id}:{wrong[0]}")
    assert "回答済み" in second["text"]
    assert len(buttons) == len(question.choices)
    assert await bot.reveal(post.id)
    update = (await fake.wait_for("chat.update"))[-1].body
    assert update["ts"] == post.message_ref
    assert not any(b["type"] == "actions" for b in update["blocks"])  # the buttons are gone
    assert "回答 1 人、正解率 100%" in json.dumps(update["blocks"], ensure_ascii=False)
    late = await sender.click(f"sb:a:{post.id}:{right[0]}", user="ULATE")
    assert "締め切られました" in late["text"]
    board = await sender.command("leaderboard all")
    assert "1. u1 — 10点" in board["text"]
    assert "回答 1 問" in (await sender.command("stats"))["text"]


async def test_multi_select_submission(bot, slack, fake):
    _, sender = slack
    post, message = await daily_post(bot, sender, fake, "dynamodb")
    elements = elements_of(message["blocks"])
    assert elements[0]["type"] == "checkboxes"
    tick = await sender.post(sender.click_body(f"sb:pick:{post.id}"))
    assert tick[0] == 200  # ticking a box is acknowledged, not an answer
    state = {
        f"sb:q:{post.id}": {
            f"sb:pick:{post.id}": {
                "type": "checkboxes",
                "selected_options": [{"value": c} for c in sorted(bot.question_of(post).answer)],
            }
        }
    }
    reply = await sender.click(f"sb:submit:{post.id}", state=state)
    assert "⭕ 正解です！" in reply["text"]
    none = await sender.click(f"sb:submit:{post.id}", user="U2", state={})
    assert "2 つ選んでください" in none["text"]
    assert (await bot.storage.post_results(post.id)).answered == 1


async def test_forged_and_stale_requests_are_rejected_and_store_nothing(bot, slack, fake):
    _, sender = slack
    post, _ = await daily_post(bot, sender, fake, "sqs")
    body = sender.click_body(f"sb:a:{post.id}:a", user="UFORGER")
    status, _ = await sender.post(body, signature="v0=" + "0" * 64)
    assert status == 401
    status, _ = await sender.post(body, timestamp=int(time.time()) - 600)
    assert status == 401
    assert (await bot.storage.post_results(post.id)).answered == 0


async def test_click_on_unknown_or_garbage_post(slack, fake):
    _, sender = slack
    reply = await sender.click("sb:a:424242:a")
    assert "見つかりませんでした" in reply["text"]
    status, _ = await sender.post(sender.click_body("sb:a:not-a-number:zz"))
    assert status == 404  # no listener matches: refused, nothing stored


async def test_rate_limit_is_retried(bot, slack, fake):
    _, sender = slack
    fake.fail("chat.postMessage", Scripted(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))
    post, _ = await daily_post(bot, sender, fake, "sqs")
    assert len(fake.of("chat.postMessage")) == 2
    assert post.status == PostStatus.OPEN


async def test_server_error_is_not_resent_at_once(bot, slack, fake):
    """A 5xx on a message post may mean Slack took it: no HTTP-level resend; the core tries again later,
    after looking in the channel (tests/test_slack_posts.py)."""
    _, sender = slack
    fake.fail("chat.postMessage", Scripted(503, {"ok": False, "error": "service_unavailable"}))
    fake.admins.add("UADMIN")
    await sender.command("daily set 09:00 sqs", user="UADMIN")
    reply = await sender.command("daily now", user="UADMIN")
    assert "自動で確認し" in reply["text"]
    assert len(fake.of("chat.postMessage")) == 1


async def test_not_in_channel_disables_the_schedule(bot, slack, fake, caplog):
    _, sender = slack
    fake.admins.add("UADMIN")
    await sender.command("daily set 09:00", user="UADMIN")
    fake.fail("chat.postMessage", Scripted(200, {"ok": False, "error": "not_in_channel"}))
    reply = await sender.command("daily now", user="UADMIN")
    assert "投稿できませんでした" in reply["text"] and "not_in_channel" not in reply["text"]  # a plain sentence
    assert await bot.storage.schedules() == []
    assert any("its daily schedule is disabled" in r.getMessage() for r in caplog.records)


async def test_answer_outcomes_are_the_cores(bot, slack, fake):
    """The adapter adds nothing of its own to the rules: a practice question is private to its owner."""
    _, sender = slack
    reply = await sender.command("quiz sqs", user="U1")
    action = elements_of(reply["blocks"])[0]["action_id"]
    other = await sender.click(action, user="U2")
    assert "他の人の練習問題" in other["text"]
    post_id = int(action.split(":")[2])
    assert (await bot.storage.post_results(post_id)).answered == 0


def test_manifest_matches_the_app():
    import yaml

    from bot.config import PROJECT_ROOT

    manifest = yaml.safe_load((PROJECT_ROOT / "adapters" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/study"]
    assert {"commands", "chat:write", "users:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"channels:history", "groups:history", "im:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"member_left_channel", "channel_archive", "app_uninstalled", "tokens_revoked"} <= events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_slack_needs_a_mode(monkeypatch, capsys, tmp_path):
    from bot.cli import main

    monkeypatch.setenv("STUDYBOT_DATABASE", str(tmp_path / "s.db"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    assert main(["run"]) == 2
    assert "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)" in capsys.readouterr().err


async def test_daily_off(bot, slack, fake):
    _, sender = slack
    fake.admins.add("UADMIN")
    await sender.command("daily set 09:00", user="UADMIN")
    assert len(await bot.storage.schedules()) == 1
    reply = await sender.command("daily off", user="UADMIN")
    assert reply["text"] == "このチャンネルの毎日の出題を停止しました。"
    assert await bot.storage.schedules() == []
    assert "設定されていません" in (await sender.command("daily off", user="UADMIN"))["text"]
