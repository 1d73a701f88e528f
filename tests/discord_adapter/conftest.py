"""Fixtures of the Discord tests: the strict fake Discord, and the adapter connected to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from tests.discord_adapter.support import connect, disconnect
from tests.fakes.discord_api import FakeDiscord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    fake.patch()
    try:
        yield fake
    finally:
        fake.unpatch()
        await fake.stop()


@pytest.fixture
async def discord_bot(bot, settings, fake) -> AsyncIterator[DiscordAdapter]:
    adapter, task = await connect(bot, settings, fake)
    yield adapter
    await disconnect(adapter, task)
