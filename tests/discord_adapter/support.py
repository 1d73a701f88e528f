"""What the Discord tests share: connecting the adapter to the fake, and sending it what users do."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from adapters.discord import DiscordAdapter
from bot.config import Settings
from bot.core import StudyBot
from bot.models import Post
from tests.fakes.discord_api import FakeDiscord, skip_identify_delay

CHANNEL = 2001
ADMIN_ID = 5001
MANAGE_GUILD = 1 << 5
EPHEMERAL = 1 << 6


async def connect(
    bot: StudyBot, settings: Settings, fake: FakeDiscord, **options: Any
) -> tuple[DiscordAdapter, asyncio.Task[None]]:
    adapter = DiscordAdapter(
        bot, replace(settings, discord_guild_id=str(FakeDiscord.GUILD_ID)), guild_ready_timeout=0.01, **options
    )
    skip_identify_delay(adapter)
    task = asyncio.create_task(adapter.start("fake-token"))
    await fake.wait_until(lambda: adapter.is_ready() or task.done(), what="on_ready")
    if task.done():
        task.result()
    return adapter, task


async def disconnect(adapter: DiscordAdapter, task: asyncio.Task[None]) -> None:
    await adapter.close()
    await asyncio.wait_for(task, 5)


def sub(name: str, **values: Any) -> list[dict[str, Any]]:
    """Options of a subcommand invocation: [{name, type 1, options}]."""
    options = [{"name": k, "type": 5 if isinstance(v, bool) else 3, "value": v} for k, v in values.items()]
    return [{"name": name, "type": 1, "options": options}]


async def command(fake: FakeDiscord, name: str, options: list[dict[str, Any]], **who: Any) -> dict[str, Any]:
    """Send a slash command; return the private followup after the deferral."""
    before = len(fake.followups)
    payload = fake.slash(name, options, **who)
    await fake.send_interaction(payload)
    deferred = await fake.wait_callback(payload["id"])
    assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
    return (await fake.wait_followups(before + 1))[-1]


async def admin(fake: FakeDiscord, *words: str, **values: Any) -> dict[str, Any]:
    """`/study-admin daily <words[0]> ...` or `/study-admin lang ...`, as a Manage Server user."""
    who = {k: values.pop(k) for k in ("app_permissions", "guild_locale", "guild_id", "channel_id") if k in values}
    group = (
        [{"name": "daily", "type": 2, "options": sub(words[0], **values)}]
        if words[0] != "lang"
        else sub("lang", **values)
    )
    return await command(fake, "study-admin", group, user_id=ADMIN_ID, permissions=MANAGE_GUILD, **who)


async def click(fake: FakeDiscord, custom_id: str, message_id: int, **kw: Any) -> dict[str, Any]:
    payload = fake.click(custom_id, message_id=message_id, **kw)
    await fake.send_interaction(payload)
    return await fake.wait_callback(payload["id"])


async def daily_post(bot: StudyBot, fake: FakeDiscord, filter_text: str) -> tuple[Post, dict[str, Any]]:
    reply = await admin(fake, "set", time="09:00", filter=filter_text)
    assert "毎日の出題を設定しました" in reply["content"], reply
    reply = await admin(fake, "now")
    assert reply["content"] == "今日の一問を投稿しました。", reply
    message = fake.messages_in(CHANNEL)[-1]
    post = (await bot.storage.open_daily_posts())[-1]
    assert post.message_ref == str(message["id"])
    return post, message
