"""Install to any workspace (issue 12 point 8): the whole OAuth install through the fake's
oauth.v2.access, then two workspaces served from one process, each with its own token and data; a
workspace that never installed is refused, and uninstalling deletes the installation."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from urllib.parse import unquote

import pytest

from tests.fakes.slack_api import FakeSlackAPI
from tests.slack_support import Signed, eventually, running_slack

COOKIE = "slack-app-oauth-state"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def oauth(bot, settings, fake):  # type: ignore[no-untyped-def]
    overrides = {"slack_bot_token": None, "slack_client_id": fake.client_id, "slack_client_secret": fake.client_secret}
    async with running_slack(bot, settings, fake, **overrides) as running:
        yield running


def base_of(sender: Signed) -> str:
    return sender.url.removesuffix("/slack/events")


async def start_install(sender: Signed) -> str:
    """GET /slack/install: the page links to Slack's authorize URL with a fresh state, also set as a
    cookie in the installer's browser."""
    async with sender.session.get(base_of(sender) + "/slack/install") as resp:
        assert resp.status == 200
        page = await resp.text()
        cookie = resp.headers["Set-Cookie"]
    state = re.search(r"state=([A-Za-z0-9_\-]+)", page)
    assert state is not None and f"{COOKIE}={state[1]}" in cookie
    assert "scope=commands,chat:write," in unquote(page) and "im:write" in unquote(page)
    return state[1]


async def finish_install(sender: Signed, code: str, state: str) -> tuple[int, str]:
    """Slack sends the installer back to /slack/oauth_redirect with the code and the state."""
    url = f"{base_of(sender)}/slack/oauth_redirect?code={code}&state={state}"
    async with sender.session.get(url, headers={"Cookie": f"{COOKIE}={state}"}) as resp:
        return resp.status, await resp.text()


async def install(sender: Signed, fake: FakeSlackAPI, team: str) -> None:
    state = await start_install(sender)
    status, page = await finish_install(sender, fake.grant(team), state)
    assert status == 200, page


def installations(path) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT team_id, enterprise_id FROM slack_installations ORDER BY team_id").fetchall()


def communities(path) -> list[str]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT platform_id FROM communities ORDER BY platform_id")]


async def test_install_two_workspaces_and_serve_each_with_its_own_token(bot, settings, fake, oauth):
    _, sender = oauth
    async with asyncio.timeout(30):
        await install(sender, fake, "TA")
        await install(sender, fake, "TB")
        first, _ = fake.of("oauth.v2.access")
        assert first.body["client_id"] == fake.client_id and first.body["client_secret"] == fake.client_secret
        assert installations(settings.database) == [("TA", ""), ("TB", "")]
        token = {who["team"]: t for t, who in fake.tokens.items()}

        a, b = sender.as_team("TA"), sender.as_team("TB")
        fake.admins |= {"UADMIN_A", "UADMIN_B"}
        for side, admin, channel in ((a, "UADMIN_A", "CA"), (b, "UADMIN_B", "CB")):
            await side.command("daily set 09:00 sqs", user=admin, channel=channel)
            assert (await side.command("daily now", user=admin, channel=channel))[
                "text"
            ] == "今日の一問を投稿しました。"
        posts = {c.body["channel"]: c.token for c in fake.of("chat.postMessage")}
        assert posts == {"CA": token["TA"], "CB": token["TB"]}
        assert {c.body["user"]: c.token for c in fake.of("users.info")} == {
            "UADMIN_A": token["TA"],
            "UADMIN_B": token["TB"],
        }

        by_channel = {}
        for post in await bot.storage.open_daily_posts():
            channel = await bot.storage.channel_by_id(post.channel_id)
            by_channel[channel.platform_id] = post  # type: ignore[union-attr]
        right = sorted(bot.question_of(by_channel["CA"]).answer)[0]
        assert "⭕" in (await a.click(f"sb:a:{by_channel['CA'].id}:{right}", user="UA1", channel="CA"))["text"]
        right = sorted(bot.question_of(by_channel["CB"]).answer)[0]
        assert "⭕" in (await b.click(f"sb:a:{by_channel['CB'].id}:{right}", user="UB1", channel="CB"))["text"]
        # a click naming the other workspace's post is not scored there
        cross = await a.click(f"sb:a:{by_channel['CB'].id}:{right}", user="UA2", channel="CA")
        assert "見つかりませんでした" in cross["text"]

        board_a = (await a.command("leaderboard all", user="UA1", channel="CA"))["text"]
        board_b = (await b.command("leaderboard all", user="UB1", channel="CB"))["text"]
        assert "ua1" in board_a and "ub1" not in board_a
        assert "ub1" in board_b and "ua1" not in board_b

        assert await bot.reveal(by_channel["CB"].id)
        [update] = fake.of("chat.update")
        assert update.token == token["TB"] and update.body["channel"] == "CB"


async def test_a_workspace_that_never_installed_is_refused_and_nothing_stored(settings, fake, oauth, caplog):
    _, sender = oauth
    await install(sender, fake, "TA")
    stranger = sender.as_team("TX")
    status, _ = await stranger.post(stranger.command_body("stats", user="UX"))
    assert status == 200  # Slack shows Bolt's "no longer available" note, no data of ours
    assert communities(settings.database) == []
    assert any("workspace TX" in r.getMessage() and "has not installed" in r.getMessage() for r in caplog.records)
    assert fake.of("users.info") == [] and fake.of("chat.postMessage") == []


async def test_a_used_code_a_used_state_and_a_wrong_secret_install_nothing(bot, settings, fake, oauth, caplog):
    _, sender = oauth
    state = await start_install(sender)
    code = fake.grant("TA")
    assert (await finish_install(sender, code, state))[0] == 200
    again, _ = await finish_install(sender, code, await start_install(sender))  # the code is spent
    assert again != 200
    assert fake.of("oauth.v2.access")[-1].body["code"] == code
    replayed, _ = await finish_install(sender, fake.grant("TB"), state)  # the state is spent
    assert replayed != 200
    assert installations(settings.database) == [("TA", "")]
    assert any("OAuth state" in r.getMessage() for r in caplog.records)

    fake.client_secret = "rotated"  # the app's secret no longer matches what studybot sends
    status, _ = await finish_install(sender, fake.grant("TC"), await start_install(sender))
    assert status != 200
    assert installations(settings.database) == [("TA", "")]


@pytest.mark.parametrize(
    "event", [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["UBTA"]}}]
)
async def test_uninstalling_deletes_the_installation_and_stops_the_schedules(bot, settings, fake, oauth, event):
    _, sender = oauth
    await install(sender, fake, "TA")
    await install(sender, fake, "TB")
    a = sender.as_team("TA")
    fake.admins.add("UADMIN_A")
    await a.command("daily set 09:00", user="UADMIN_A", channel="CA")
    fake.revoke("TA")
    assert await a.event(event) == 200
    await eventually(lambda: _installed(settings.database, [("TB", "")]))
    assert await bot.storage.schedules() == []
    await a.post(a.command_body("stats", user="UA1"))  # refused: TA has no installation any more
    await asyncio.sleep(0.2)
    with sqlite3.connect(settings.database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM users WHERE platform_id = 'UA1'").fetchone()[0] == 0


async def _installed(path, expected) -> bool:  # type: ignore[no-untyped-def]
    return installations(path) == expected


def test_oauth_is_http_mode_and_needs_its_secrets():
    from bot.cli import slack_mode
    from bot.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET"):
        slack_mode(Settings(slack_client_id="1.2"))
    assert slack_mode(Settings(slack_client_id="1.2", slack_client_secret="s", slack_signing_secret="x")) == "http"
    assert slack_mode(Settings(slack_bot_token="xoxb", slack_signing_secret="x")) == "http"  # one token still works


def test_manifest_covers_the_oauth_install():
    import yaml

    from adapters.slack.oauth import BOT_SCOPES
    from bot.config import PROJECT_ROOT

    manifest = yaml.safe_load((PROJECT_ROOT / "adapters" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    assert [u.rsplit("/", 2)[-2:] for u in manifest["oauth_config"]["redirect_urls"]] == [["slack", "oauth_redirect"]]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)


async def test_two_replicas_share_installs_and_states_through_the_database(bot, settings, clock, content, fake):
    """Replicas behind one address: the install page served by one, Slack's redirect landing on the
    other (the state is in the database), and a workspace the page's replica had refused before the
    install served by it right after (no refusal is remembered in memory)."""
    from tests.conftest import make_bot

    other = await make_bot(settings, clock, content)
    overrides = {"slack_bot_token": None, "slack_client_id": fake.client_id, "slack_client_secret": fake.client_secret}
    try:
        async with (
            running_slack(bot, settings, fake, **overrides) as (_, first),
            running_slack(other, settings, fake, **overrides) as (_, second),
        ):
            async with asyncio.timeout(30):
                early = second.as_team("TA")
                status, _ = await early.post(early.command_body("stats", user="UA1"))
                assert status == 200 and communities(settings.database) == []  # not installed yet: refused
                state = await start_install(second)
                status, page = await finish_install(first, fake.grant("TA"), state)
                assert status == 200, page
                reply = await second.as_team("TA").command("stats", user="UA1")
                assert reply.get("text"), reply
                assert communities(settings.database) == ["TA"]
    finally:
        await other.close()
