"""Self-test of the Discord fake: a real discord.Client must log in, take interactions, answer them
and survive reconnects against it, or the adapter tests built on it prove nothing."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord_api import Call, FakeDiscord, skip_identify_delay

CHANNEL = 2001


class Quiz(discord.ui.View):
    """A button whose callback edits the message it sits on (a type 7 callback)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="A", custom_id="quiz:a")
    async def answer_a(self, interaction: discord.Interaction, button: discord.ui.Button[Quiz]) -> None:
        await interaction.response.edit_message(content=f"{interaction.user.id} answered A", view=None)


class Vote(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"vote:(?P<choice>[a-d])"):
    """Survives restarts: dispatched by custom_id pattern, from the components in the clicked message."""

    def __init__(self, choice: str) -> None:
        super().__init__(discord.ui.Button(label=choice, custom_id=f"vote:{choice}"))
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View], match: re.Match[str], /
    ) -> Vote:
        return cls(match["choice"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"voted {self.choice}", ephemeral=True)


@dataclass
class Bot:
    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]
    ready_count: int = 0
    resumed: asyncio.Event = field(default_factory=asyncio.Event)


def build_client() -> Bot:
    client = discord.Client(intents=discord.Intents.none(), guild_ready_timeout=0.01)
    skip_identify_delay(client)
    tree = app_commands.CommandTree(client)
    bot = Bot(client, tree)

    @client.event
    async def on_ready() -> None:
        bot.ready_count += 1

    @client.event
    async def on_resumed() -> None:
        bot.resumed.set()

    @tree.command(name="ping", description="Replies with a button")
    async def ping(interaction: discord.Interaction, word: str) -> None:
        await interaction.response.send_message(f"pong {word}", view=Quiz())

    quiz = app_commands.Group(name="quiz", description="Quiz commands")

    @quiz.command(name="slow", description="Defers, then follows up")
    async def slow(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"followup {topic}")
        await interaction.edit_original_response(content=f"done {topic}")

    @slow.autocomplete("topic")
    async def topic_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in ("ec2", "s3", "iam") if t.startswith(current)]

    tree.add_command(quiz)
    client.add_dynamic_items(Vote)
    return bot


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    bot = build_client()
    task = asyncio.create_task(bot.client.start("fake-token"))
    try:
        await fake.wait_until(lambda: bot.ready_count >= 1 or task.done(), what="on_ready")
        if task.done():
            task.result()  # surface why the client died instead of timing out
        yield bot
    finally:
        await bot.client.close()
        await asyncio.wait_for(task, 5)


async def test_login_and_identify(fake: FakeDiscord, bot: Bot) -> None:
    assert Call("GET", "/users/@me") in fake.calls
    assert Call("GET", "/oauth2/applications/@me") in fake.calls
    assert bot.client.user is not None and bot.client.user.id == FakeDiscord.BOT_ID
    assert bot.client.application_id == FakeDiscord.APP_ID
    assert fake.identifies == 1 and fake.resumes == 0
    assert fake.identify_payloads[0]["token"] == "fake-token"
    assert fake.identify_payloads[0]["intents"] == 0
    assert fake.connections[0]["v"] == "10" and fake.connections[0]["encoding"] == "json"
    assert fake.heartbeats >= 1  # discord.py heartbeats right after HELLO


async def test_slash_then_click_on_the_reply(fake: FakeDiscord, bot: Bot) -> None:
    slash = fake.slash("ping", [{"name": "word", "type": 3, "value": "hi"}])
    await fake.send_interaction(slash)
    body = await fake.wait_callback(slash["id"])
    assert body["type"] == 4
    assert body["data"]["content"] == "pong hi"
    button = body["data"]["components"][0]["components"][0]
    assert button["custom_id"] == "quiz:a"

    reply = fake.response_message(slash["id"])
    assert reply is not None and reply["content"] == "pong hi"
    click = fake.click("quiz:a", message_id=int(reply["id"]), user_id=1002)
    assert click["message"]["components"] == body["data"]["components"]
    await fake.send_interaction(click)
    update = await fake.wait_callback(click["id"])
    assert update["type"] == 7
    assert update["data"]["content"] == "1002 answered A"
    assert update["data"]["components"] == []
    assert fake.message(int(reply["id"]))["content"] == "1002 answered A"  # type: ignore[index]


async def test_subcommand_defer_followup_and_autocomplete(fake: FakeDiscord, bot: Bot) -> None:
    options = [{"name": "slow", "type": 1, "options": [{"name": "topic", "type": 3, "value": "e", "focused": True}]}]
    auto = fake.autocomplete("quiz", options)
    await fake.send_interaction(auto)
    choices = await fake.wait_callback(auto["id"])
    assert choices == {"type": 8, "data": {"choices": [{"name": "ec2", "value": "ec2"}]}}

    slash = fake.slash("quiz", [{"name": "slow", "type": 1, "options": [{"name": "topic", "type": 3, "value": "s3"}]}])
    await fake.send_interaction(slash)
    assert (await fake.wait_callback(slash["id"]))["type"] == 5
    assert (await fake.wait_followups(1))[0]["content"] == "followup s3"
    await fake.wait_until(lambda: len(fake.webhook_edits) == 1, what="edit of @original")
    assert fake.webhook_edits[0][0] == int(slash["id"])
    assert fake.webhook_edits[0][1] == "@original"
    assert fake.webhook_edits[0][2]["content"] == "done s3"


async def test_dynamic_item_click_on_a_message_from_before_a_restart(fake: FakeDiscord, bot: Bot) -> None:
    click = fake.click("vote:b", message_id=42)  # unknown to the fake: it makes up a message holding the button
    await fake.send_interaction(click)
    body = await fake.wait_callback(click["id"])
    assert body == {"type": 4, "data": {"content": "voted b", "flags": 64, "tts": False}}


async def test_channel_messages_edits_and_errors(fake: FakeDiscord, bot: Bot) -> None:
    channel = await bot.client.fetch_channel(CHANNEL)
    assert isinstance(channel, discord.TextChannel) and channel.guild.id == FakeDiscord.GUILD_ID
    sent = await channel.send("hello", view=Quiz())
    posted = fake.messages_in(CHANNEL)
    assert [m["content"] for m in posted] == ["hello"] and posted[0]["id"] == sent.id
    assert sent.author.id == FakeDiscord.BOT_ID and sent.components

    click = fake.click("quiz:a", message_id=sent.id)
    await fake.send_interaction(click)
    assert (await fake.wait_callback(click["id"]))["type"] == 7

    await sent.edit(content="bye")
    assert fake.edits[-1][:2] == (CHANNEL, sent.id) and fake.edits[-1][2]["content"] == "bye"

    fake.forbid_channel(2002)
    with pytest.raises(discord.Forbidden) as forbidden:
        await bot.client.get_partial_messageable(2002).send("x")
    assert forbidden.value.code == 50013

    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035

    with pytest.raises(discord.NotFound):
        await bot.client.fetch_user(5)
    assert fake.unknown == [Call("GET", "/users/5")]


async def test_tree_sync_echoes_commands_with_ids(fake: FakeDiscord, bot: Bot) -> None:
    synced = await bot.tree.sync()
    assert sorted(c.name for c in synced) == ["ping", "quiz"]
    assert all(c.id and c.application_id == FakeDiscord.APP_ID for c in synced)
    ping = next(c for c in synced if c.name == "ping")
    assert fake.slash("ping")["data"]["id"] == str(ping.id)

    guild = discord.Object(FakeDiscord.GUILD_ID)
    bot.tree.copy_global_to(guild=guild)
    in_guild = await bot.tree.sync(guild=guild)
    assert {c.guild_id for c in in_guild} == {FakeDiscord.GUILD_ID}


async def test_interaction_errors_match_discord(fake: FakeDiscord, bot: Bot) -> None:
    slash = fake.slash("ping", [{"name": "word", "type": 3, "value": "x"}])
    followup_url = f"{fake.rest_base}/webhooks/{FakeDiscord.APP_ID}/{slash['token']}?wait=1"
    async with aiohttp.ClientSession() as http:
        # discord.py itself refuses to answer twice, so speak HTTP directly, as a buggy adapter could.
        async with http.post(followup_url, json={"content": "too early"}) as early:
            assert early.status == 404 and (await early.json())["code"] == 10015
        await fake.send_interaction(slash)
        await fake.wait_callback(slash["id"])
        callback_url = f"{fake.rest_base}/interactions/{slash['id']}/{slash['token']}/callback?with_response=1"
        async with http.post(callback_url, json={"type": 4, "data": {"content": "again"}}) as again:
            assert again.status == 400 and (await again.json())["code"] == 40060
        async with http.post(f"{fake.rest_base}/interactions/1/nope/callback", json={"type": 5}) as unknown:
            assert unknown.status == 404 and (await unknown.json())["code"] == 10062
        async with http.get(f"{fake.rest_base}/users/@me") as anonymous:
            assert anonymous.status == 401

        # No such command in the tree: the client logs CommandNotFound and leaves it to us.
        orphan = fake.slash("nosuch")
        await fake.send_interaction(orphan)
        orphan_url = f"{fake.rest_base}/interactions/{orphan['id']}/{orphan['token']}/callback"
        async with http.post(f"{orphan_url}?with_response=1", json={"type": 7, "data": {"content": "x"}}) as wrong:
            assert wrong.status == 400 and (await wrong.json())["code"] == 50035
        async with http.post(f"{orphan_url}?with_response=1", json={"type": 4, "data": {"content": "hi"}}) as ok:
            answer = await ok.json()
    assert answer["interaction"]["id"] == orphan["id"] and answer["interaction"]["type"] == 2
    assert answer["resource"]["type"] == 4 and answer["resource"]["message"]["content"] == "hi"
    assert answer["interaction"]["response_message_id"] == answer["resource"]["message"]["id"]


async def test_resume_replays_missed_interactions(fake: FakeDiscord, bot: Bot) -> None:
    await fake.drop_connection(resumable=True)
    slash = fake.slash("ping", [{"name": "word", "type": 3, "value": "late"}])
    await fake.send_interaction(slash)  # sent while the socket is down: replayed on RESUME
    await fake.wait_ready()
    await asyncio.wait_for(bot.resumed.wait(), 5)
    assert (fake.identifies, fake.resumes, fake.invalid_sessions) == (1, 1, 0)
    assert fake.connections[-1]["path"] == "/gateway/resume"  # resume_gateway_url from READY was used
    assert (await fake.wait_callback(slash["id"]))["data"]["content"] == "pong late"


async def test_invalid_session_makes_the_client_identify_again(fake: FakeDiscord, bot: Bot) -> None:
    await fake.drop_connection(resumable=False)
    await fake.wait_ready()
    assert (fake.identifies, fake.resumes, fake.invalid_sessions) == (2, 1, 1)
    await fake.wait_until(lambda: bot.ready_count == 2, what="a second on_ready")
    slash = fake.slash("ping", [{"name": "word", "type": 3, "value": "again"}])
    await fake.send_interaction(slash)
    assert (await fake.wait_callback(slash["id"]))["data"]["content"] == "pong again"


async def test_per_channel_limit_is_honoured_from_headers(fake: FakeDiscord, bot: Bot) -> None:
    fake.limit_rate(global_per_second=50, per_channel=(2, 0.3))
    channel = bot.client.get_partial_messageable(CHANNEL)
    started = time.monotonic()
    for i in range(3):
        await channel.send(f"m{i}")
    # discord.py read Remaining/Reset-After and waited out the window instead of drawing a 429.
    assert time.monotonic() - started >= 0.25
    assert fake.rate_limited == 0
    assert len(fake.messages_in(CHANNEL)) == 3


async def test_global_limit_429_is_retried(fake: FakeDiscord, bot: Bot) -> None:
    fake.limit_rate(global_per_second=1, per_channel=(5, 5.0))
    await bot.client.get_partial_messageable(2001).send("first")
    await bot.client.get_partial_messageable(2002).send("second")
    assert fake.rate_limited == 1
    assert [c.status for c in fake.calls if c.path.endswith("/messages")] == [200, 429, 200]
    assert len(fake.messages_in(2002)) == 1


async def test_rate_limit_headers_on_the_wire(fake: FakeDiscord) -> None:
    fake.limit_rate(global_per_second=50, per_channel=(1, 5.0))
    url = f"{fake.rest_base}/channels/7/messages"
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        async with http.post(url, json={"content": "a"}) as ok:
            # exact match: discord.py only parses JSON when the content type has no charset
            assert ok.headers["Content-Type"] == "application/json"
            assert ok.headers["X-RateLimit-Remaining"] == "0" and ok.headers["X-RateLimit-Bucket"]
            assert float(ok.headers["X-RateLimit-Reset-After"]) > 4.9
        async with http.post(url, json={"content": "b"}) as limited:
            assert limited.status == 429
            assert limited.headers["Via"]  # without it discord.py treats the 429 as a Cloudflare ban
            assert limited.headers["X-RateLimit-Scope"] == "user"
            body = await limited.json()
            assert body["global"] is False and body["retry_after"] > 4.9
    assert fake.rate_limited == 1 and len(fake.messages_in(7)) == 1


async def test_patch_points_discord_py_at_the_fake_and_unpatch_restores() -> None:
    base, gateway = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    fake = FakeDiscord()
    await fake.start()
    try:
        fake.patch()
        assert discord.http.Route("GET", "/users/@me").url == f"{fake.rest_base}/users/@me"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
    finally:
        fake.unpatch()
        await fake.stop()
    assert (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == (base, gateway)


async def test_the_global_limit_counts_every_bot_request_but_not_interaction_endpoints(
    fake: FakeDiscord, bot: Bot
) -> None:
    fake.limit_rate(global_per_second=3, per_channel=(50, 5.0))
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        statuses = []
        for path, method in [("/users/@me", "GET"), ("/channels/7", "GET"), ("/channels/7/messages", "POST")]:
            async with http.request(method, f"{fake.rest_base}{path}", json={"content": "a"}) as r:
                statuses.append(r.status)
        # A fourth bot request within the second, on any route (here an edit), is over the limit.
        async with http.patch(f"{fake.rest_base}/channels/7/messages/1", json={"content": "b"}) as limited:
            assert limited.status == 429 and limited.headers["X-RateLimit-Scope"] == "global"
            assert (await limited.json())["global"] is True and limited.headers["X-RateLimit-Global"] == "true"
    assert statuses == [200, 200, 200]
    # The interaction callback is not bound to the global limit: the bot answers at once.
    slash = fake.slash("ping", [{"name": "word", "type": 3, "value": "now"}])
    await fake.send_interaction(slash)
    assert (await fake.wait_callback(slash["id"], within=0.9))["data"]["content"] == "pong now"
    assert fake.rate_limited == 1 and fake.limits.global_rate_limited == 1 and fake.invalid_requests == 1


async def test_latency_is_added_to_every_request(fake: FakeDiscord) -> None:
    fake.latency = 0.2
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        started = time.monotonic()
        async with http.get(f"{fake.rest_base}/users/@me") as r:
            assert r.status == 200
    assert time.monotonic() - started >= 0.2


async def test_too_many_invalid_requests_get_the_ip_banned(fake: FakeDiscord) -> None:
    fake.limits.invalid_limit = 5  # Discord's is 10,000 in 10 minutes
    fake.forbid_channel(9)
    async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as http:
        for _ in range(5):
            async with http.post(f"{fake.rest_base}/channels/9/messages", json={"content": "a"}) as r:
                assert r.status == 403
        async with http.get(f"{fake.rest_base}/users/@me") as banned:
            assert banned.status == 429 and "Via" not in banned.headers
            assert banned.content_type == "text/html"
    assert fake.invalid_requests == 5 and fake.limits.banned


async def test_a_bad_command_upload_is_refused_whole(fake: FakeDiscord, bot: Bot) -> None:
    """discord.py checks names itself, but not choice names (1-100 on Discord) nor localizations."""

    @app_commands.command(name="pick", description="Pick one")
    @app_commands.choices(thing=[app_commands.Choice(name="x" * 101, value="x")])
    async def pick(interaction: discord.Interaction, thing: str) -> None:
        return None

    bot.tree.add_command(pick)
    with pytest.raises(app_commands.CommandSyncFailure):
        await bot.tree.sync()
    assert None not in fake.commands  # nothing of the upload was kept
    _, body = fake.refused[-1]
    assert body["code"] == 50035 and body["errors"]
