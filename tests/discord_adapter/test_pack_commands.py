"""`/study-admin packs list|on|off` through the strict fake Discord, on both backends: admins list and
switch packs (with autocomplete of pack names within Discord's limits), others are refused, lookup and
the daily post follow the switches, and a pack without choice explanations reveals what it has."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bot.content import load_content
from bot.core import StudyBot
from tests.conftest import RecordingPlatform, make_bot
from tests.discord_adapter.support import ADMIN_ID, CHANNEL, MANAGE_GUILD, admin, command, connect, disconnect, sub
from tests.packs_support import packed_content, write


@pytest.fixture
async def packed(settings, clock, tmp_path, fake) -> AsyncIterator[tuple[StudyBot, DiscordAdapter]]:
    content_dir = packed_content(tmp_path)
    settings = replace(settings, content_dir=content_dir)
    core = await make_bot(settings, clock, load_content(content_dir), RecordingPlatform())
    adapter, task = await connect(core, settings, fake)
    yield core, adapter
    await disconnect(adapter, task)
    await core.close()


def packs(action: str, **values: Any) -> list[dict[str, Any]]:
    return [{"name": "packs", "type": 2, "options": sub(action, **values)}]


async def packs_admin(fake, action: str, **values: Any) -> str:
    reply = await command(fake, "study-admin", packs(action, **values), user_id=ADMIN_ID, permissions=MANAGE_GUILD)
    return reply["content"]


async def pack_choices(fake, action: str, typed: str) -> list[dict[str, Any]]:
    options = packs(action, pack=typed)
    options[0]["options"][0]["options"][0]["focused"] = True
    payload = fake.autocomplete("study-admin", options, user_id=ADMIN_ID, permissions=MANAGE_GUILD)
    await fake.send_interaction(payload)
    body = await fake.wait_callback(payload["id"])
    assert body["type"] == 8  # checked by the fake against Discord's autocomplete rules
    return body["data"]["choices"]


async def test_admins_list_and_switch_packs(packed, fake):
    listed = await packs_admin(fake, "list")
    assert "✅ core — studybot 標準問題集" in listed and "⬜ team — Team SQS drills" in listed
    refused = await command(fake, "study-admin", packs("on", pack="team"))  # no Manage Server
    assert refused["content"] == "この操作は管理者のみ実行できます。"
    lookup = await command(fake, "study", sub("lookup", term="redrive"))
    assert "見つかりませんでした" in lookup["embeds"][0]["title"] + lookup["embeds"][0].get("description", "")
    switched = await packs_admin(fake, "on", pack="team")
    assert switched.startswith("「team」を有効にしました。") and "✅ team — Team SQS drills" in switched
    lookup = await command(fake, "study", sub("lookup", term="redrive"))
    assert lookup["embeds"][0]["title"].startswith("🔎 Redrive policy")
    unknown = await packs_admin(fake, "on", pack="nope")
    assert unknown.startswith("「nope」という問題パックはありません")


async def test_pack_names_autocomplete_the_packs_to_switch(packed, fake):
    assert [(c["name"], c["value"]) for c in await pack_choices(fake, "on", "tea")] == [
        ("team — Team SQS drills", "team")
    ]
    assert [c["value"] for c in await pack_choices(fake, "on", "")] == ["deck", "team"]  # those that are off
    assert [c["value"] for c in await pack_choices(fake, "off", "")] == ["core"]
    assert await pack_choices(fake, "on", "x" * 100) == []


async def test_the_daily_post_and_its_reveal_from_a_pack_without_choice_explanations(packed, fake):
    core, _ = packed
    await packs_admin(fake, "on", pack="deck")
    await packs_admin(fake, "off", pack="core")
    assert "毎日の出題を設定しました" in (await admin(fake, "set", time="09:00"))["content"]
    assert (await admin(fake, "now"))["content"] == "今日の一問を投稿しました。"
    post = (await core.storage.open_daily_posts())[-1]
    assert post.question_id == "deck-route53-failover"
    assert fake.messages_in(CHANNEL)
    assert await core.reveal(post.id)
    _, _, body = fake.edits[-1]  # the fake refused it if a field broke Discord's embed rules
    fields = {f["value"]: f["name"] for f in body["embeds"][0]["fields"]}
    assert fields["フェイルオーバールーティング"] in ("⭕ A（0）", "⭕ B（0）", "⭕ C（0）")  # its text fills the field
    assert fields["重みで分散する方式です。"].endswith(". 加重ルーティング（0）")


async def test_sixty_packs_stay_within_discords_limits(settings, clock, tmp_path, fake):
    """More packs than an autocomplete may offer (25) and a title longer than a choice name (100): the
    fake refuses a callback past either limit, and the list stays one message (2,000 characters)."""
    content_dir = packed_content(tmp_path)
    for n in range(60):
        folder = content_dir / "packs" / f"deck-{n:02}"
        write(folder / "pack.yaml", f"title: {'長いタイトル' * 40 if n == 0 else f'Deck {n}'}\nlanguage: en\n")
        entry = f"{{id: deck-{n:02}-term, term: Term {n}, service: sqs, summary: [A term.], sources: [{{seed: 003_3511edbbd2531384.txt, section: SQS}}]}}"
        write(folder / "terms.yaml", f"entries:\n  - {entry}\n")
    settings = replace(settings, content_dir=content_dir)
    core = await make_bot(settings, clock, load_content(content_dir), RecordingPlatform())
    adapter, task = await connect(core, settings, fake)
    try:
        choices = await pack_choices(fake, "on", "")
        assert len(choices) == 25 and choices[0]["value"] == "deck" and len(choices[1]["name"]) == 100
        listed = await packs_admin(fake, "list")
        assert len(listed) <= 2000 and "…ほか" in listed and listed.endswith("無効にしても回答と得点は残ります。")
    finally:
        await disconnect(adapter, task)
        await core.close()
