"""The command upload Discord must accept: the exact JSON discord.py PUTs, through the fake's copy of
Discord's rules, with a Japanese name and description for everything a user sees."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.discord import DiscordAdapter
from adapters.discord.commands import JA, StudyTranslator
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.discord_rules import FormErrors, check_commands


async def upload_of(adapter: DiscordAdapter) -> list[dict[str, Any]]:
    """What CommandTree.sync sends, built the way it builds it: each command's translated payload."""
    translator = StudyTranslator()
    return [await command.get_translated_payload(adapter.tree, translator) for command in adapter.tree.get_commands()]


def walk(options: list[dict[str, Any]], path: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for option in options:
        here = f"{path} {option['name']}"
        found.append((here, option))
        found += walk(option.get("options") or [], here)
    return found


@pytest.fixture
def adapter(bot, settings) -> DiscordAdapter:
    return DiscordAdapter(bot, settings)


async def test_the_upload_passes_discords_rules(adapter):
    upload = await upload_of(adapter)
    errors = FormErrors()
    check_commands(upload, errors)
    assert not errors, errors.body()
    assert {c["name"] for c in upload} == {"study", "study-admin"}


async def test_everything_shown_has_a_japanese_name_and_description(adapter):
    upload = await upload_of(adapter)
    items = [(c["name"], c) for c in upload]
    for command in upload:
        items += walk(command.get("options") or [], command["name"])
    assert len(items) > 20
    for path, item in items:
        assert item["name_localizations"].get("ja"), f"{path} has no Japanese name"
        assert item["description_localizations"].get("ja"), f"{path} has no Japanese description"
        for choice in item.get("choices") or []:
            assert choice["name_localizations"].get("ja"), f"choice {choice['name']} of {path} has no Japanese name"
    texts = [
        v for _, item in items for v in (item["name_localizations"]["ja"], item["description_localizations"]["ja"])
    ]
    assert not [text for text in texts if "…" in text or "..." in text]
    assert set(JA.values()) >= set(texts)


async def test_the_leaderboard_period_and_the_language_are_choices(adapter):
    upload = await upload_of(adapter)
    options = dict(walk(upload[0]["options"], "study") + walk(upload[1]["options"], "study-admin"))
    period = options["study leaderboard period"]
    assert [(c["value"], c["name_localizations"]["ja"]) for c in period["choices"]] == [
        ("week", "今週"),
        ("month", "今月"),
        ("all", "全期間"),
    ]
    language = options["study-admin lang language"]
    assert [c["value"] for c in language["choices"]] == ["ja", "en"] and language["required"]


async def test_sync_through_the_strict_fake(discord_bot, fake):
    by_name = {c["name"]: c for c in fake.commands[FakeDiscord.GUILD_ID]}
    assert by_name["study"]["name_localizations"]["ja"] == "学習"
    assert discord_bot.command_ids == {name: int(c["id"]) for name, c in by_name.items()}
    assert fake.refused == []


async def test_the_fake_refuses_the_name_that_kept_studybot_off_discord(fake):
    """The upload of the first release: "study" localized as "AWS 認定試験の学習" (a space, capitals).
    Real Discord refused it and the bot exited at start; the fake must refuse it too."""

    class Old(app_commands.Translator):
        async def translate(self, string, locale, context):  # type: ignore[no-untyped-def]
            return "AWS 認定試験の学習" if locale is discord.Locale.japanese and string.message == "study" else None

    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    group = app_commands.Group(name=app_commands.locale_str("study"), description="Study AWS certifications together")

    @group.command(name="help", description="How to use studybot")
    async def help_command(interaction: discord.Interaction) -> None: ...

    tree.add_command(group)
    await tree.set_translator(Old())
    await client.login("fake-token")
    try:
        with pytest.raises(app_commands.CommandSyncFailure) as refused:
            await tree.sync()
    finally:
        await client.close()
    assert refused.value.code == 50035
    _, body = fake.refused[-1]
    assert "name_localizations" in body["errors"]["0"]
