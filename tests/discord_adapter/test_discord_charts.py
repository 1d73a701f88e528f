"""Charts and the weekly recap on Discord, over loopback: the PNG goes up with the message (multipart,
files[0]) and the embed shows it as attachment://name; the strict fake refuses what Discord refuses
about uploads (tests/fakes/discord_upload_rules.py)."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest

from bot.charts import BOARD_SIZE, STATS_SIZE, png_size
from tests.conftest import right_and_wrong
from tests.discord_adapter.support import ADMIN_ID, CHANNEL, MANAGE_GUILD, admin, click, command, daily_post, sub
from tests.fakes.discord_api import FakeDiscord


def uploaded(fake: FakeDiscord, name: str) -> bytes:
    matches = [data for _, filename, data in fake.uploads if filename == name]
    assert len(matches) == 1, [f for _, f, _ in fake.uploads]
    return matches[0]


async def test_stats_and_leaderboard_come_with_their_chart_as_the_embed_image(discord_bot, fake, bot):
    async with asyncio.timeout(60):
        post, message = await daily_post(bot, fake, "sqs")
        right, _ = right_and_wrong(bot.question_of(post))
        await click(fake, f"sb:a:{post.id}:{right[0]}", int(message["id"]))
        stats = await command(fake, "study", sub("stats"))
        url = stats["embeds"][0]["image"]["url"]
        assert url.startswith("attachment://stats-") and url.endswith(".png")
        assert stats["attachments"][0]["filename"] == url.removeprefix("attachment://")
        assert png_size(uploaded(fake, url.removeprefix("attachment://"))) == STATS_SIZE
        board = await command(fake, "study", sub("leaderboard"))
        assert board["embeds"][0]["image"]["url"] == "attachment://leaderboard-week.png"
        assert png_size(uploaded(fake, "leaderboard-week.png")) == BOARD_SIZE


async def test_recap_on_then_the_monday_recap_lands_in_the_channel_with_its_chart(discord_bot, fake, bot, clock):
    async with asyncio.timeout(60):
        await daily_post(bot, fake, "sqs")
        reply = await command(
            fake, "study-admin", sub("recap", switch="on"), user_id=ADMIN_ID, permissions=MANAGE_GUILD
        )
        assert "毎週月曜 09:00（Asia/Tokyo）" in reply["content"], reply
        channel_id = (await bot.storage.channels(1))[0].id
        clock.advance(days=7, hours=2)  # the next Monday, 10:00 in Tokyo
        assert await bot.recaps.post_recap(channel_id) == "recap.posted"
        recap = fake.messages_in(CHANNEL)[-1]
        assert recap["embeds"][0]["title"].startswith("📅 先週のまとめ")
        name = recap["embeds"][0]["image"]["url"].removeprefix("attachment://")
        assert name == "recap-2026-W48.png"
        assert png_size(uploaded(fake, name)) == BOARD_SIZE
        sent = [c for c in fake.calls if c.method == "POST" and c.path == f"/channels/{CHANNEL}/messages"][-1]
        assert sent.json["allowed_mentions"] == {"parse": []}
        assert await bot.recaps.post_recap(channel_id) == "recap.already"
        off = await command(fake, "study-admin", sub("recap", switch="off"), user_id=ADMIN_ID, permissions=MANAGE_GUILD)
        assert "止めました" in off["content"]


async def test_recap_on_is_refused_where_the_bot_cannot_attach_files(discord_bot, fake, bot):
    async with asyncio.timeout(30):
        await admin(fake, "set", time="09:00")
        no_attach = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)  # view, send, embed links, history
        reply = await command(
            fake,
            "study-admin",
            sub("recap", switch="on"),
            user_id=ADMIN_ID,
            permissions=MANAGE_GUILD,
            app_permissions=no_attach,
        )
        assert "ファイルを添付" in reply["content"]
        assert await bot.storage.recap_channels() == []


@pytest.mark.parametrize(
    "embed_url, size, refused",
    [
        ("attachment://chart.png", 100, None),
        ("attachment://other.png", 100, "No uploaded file is named 'other.png'"),
        ("attachment://chart.svg", 100, "Only .jpg"),
        ("attachment://chart.png", 10 * 1024 * 1024 + 1, "413"),
    ],
)
async def test_the_fake_refuses_uploads_discord_refuses(discord_bot, fake, embed_url, size, refused):
    """Through discord.py itself, so the multipart body is the library's own."""
    async with asyncio.timeout(30):
        target = discord_bot.get_partial_messageable(CHANNEL, guild_id=FakeDiscord.GUILD_ID)
        embed = discord.Embed(title="t").set_image(url=embed_url)
        name = "chart.svg" if embed_url.endswith(".svg") else "chart.png"
        file = discord.File(io.BytesIO(b"\x89PNG" + b"\0" * (size - 4)), filename=name)
        if refused is None:
            await target.send(embed=embed, file=file)
            assert uploaded(fake, "chart.png")[:4] == b"\x89PNG"
            return
        with pytest.raises(discord.HTTPException) as caught:
            await target.send(embed=embed, file=file)
        assert refused in f"{caught.value.status} {caught.value.text}"
