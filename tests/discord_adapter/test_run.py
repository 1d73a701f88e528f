"""`studybot run` with a Discord token, as a real process against the strict fake: it uploads commands
Discord accepts, connects, and answers /study help (the first release exited 1 at this point)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURE_CONTENT
from tests.discord_adapter.support import EPHEMERAL, sub
from tests.fakes.discord_api import FakeDiscord
from tests.processes import BotProcess, free_port


async def test_studybot_run_connects_syncs_and_answers_help(tmp_path: Path, fake: FakeDiscord):
    bot = BotProcess(
        {
            "DISCORD_TOKEN": "fake-token",
            "DISCORD_API_URL": fake.rest_base,
            "STUDYBOT_DATABASE": str(tmp_path / "studybot.db"),
            "STUDYBOT_CONTENT_DIR": str(FIXTURE_CONTENT),
            "STUDYBOT_HTTP_HOST": "127.0.0.1",
            "STUDYBOT_HTTP_PORT": str(free_port()),
        }
    )
    await bot.start()
    try:
        await bot.wait_healthy(within=30)
        assert fake.refused == [] and {c["name"] for c in fake.commands[None]} == {"study", "study-admin"}
        payload = fake.slash("study", sub("help"))
        await fake.send_interaction(payload)
        deferred = await fake.wait_callback(payload["id"], within=10)
        assert deferred["type"] == 5 and deferred["data"]["flags"] & EPHEMERAL
        [help_reply] = await fake.wait_followups(1, within=10)
        study_id = next(c["id"] for c in fake.commands[None] if c["name"] == "study")
        assert f"</study quiz:{study_id}>" in help_reply["content"]
    finally:
        code, err = await bot.terminate()
    assert code == 0, err[-2000:]
    assert "Traceback" not in err
