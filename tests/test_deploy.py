"""What a deployment relies on, checked without Docker (no engine runs here): the Dockerfile lints
clean, its entry point and health check work when run the same way, and the process is tuned for bursts."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.gc_tuning import YOUNG_GENERATION_THRESHOLD, tune_for_bursts
from tests.conftest import FIXTURE_CONTENT
from tests.fakes.slack_api import FakeSlackAPI
from tests.processes import BotProcess, free_port

DOCKERFILE = PROJECT_ROOT / "Dockerfile"


def test_dockerfile_lints_clean():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_shape():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert len(re.findall(r"^FROM ", text, re.M)) == 2  # multi-stage
    assert re.search(r"^USER 10001", text, re.M)  # non-root
    assert 'VOLUME ["/data"]' in text and "STUDYBOT_DATABASE=/data/studybot.db" in text
    assert 'ENTRYPOINT ["studybot"]' in text and 'CMD ["run"]' in text
    assert "HEALTHCHECK" in text and 'CMD ["studybot", "health"]' in text


@pytest.fixture
async def slack_fake():
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


def slack_env(tmp_path: Path, fake: FakeSlackAPI, **extra: str) -> dict[str, str]:
    return {
        "STUDYBOT_DATABASE": str(tmp_path / "data" / "studybot.db"),
        "STUDYBOT_HTTP_HOST": "127.0.0.1",
        "STUDYBOT_HTTP_PORT": str(free_port()),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "deploy-secret",
        "SLACK_API_URL": fake.base + "/api/",
        "STUDYBOT_SLACK_RESPONSE_HOSTS": fake.response_url(""),  # replies go to the fake, not hooks.slack.com
        "STUDYBOT_CONTENT_DIR": str(FIXTURE_CONTENT),  # the rules, not the shipped bank, are under test
        **extra,
    }


async def test_entry_point_health_check_and_sigterm(tmp_path, slack_fake):
    bot = BotProcess(slack_env(tmp_path, slack_fake))
    await bot.start()  # ENTRYPOINT studybot + CMD run
    await bot.wait_healthy()
    code, err = await bot.terminate()
    assert code == 0, err
    assert '"message": "stopping"' in err  # JSON log lines off a terminal
    assert "xoxb-test" not in err and "deploy-secret" not in err
    assert await bot.health() != 0  # nothing answers once stopped


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [("missing", "content directory not found"), ("broken", "malformed YAML")],
)
async def test_bad_content_at_start_is_a_clear_error(tmp_path, slack_fake, breakage, expected):
    content = tmp_path / "content"
    if breakage == "broken":
        (content / "questions").mkdir(parents=True)
        (content / "questions" / "q.yaml").write_text("questions: [ {id: x", encoding="utf-8")
    bot = BotProcess(slack_env(tmp_path, slack_fake, STUDYBOT_CONTENT_DIR=str(content)))
    await bot.start()
    code, _, err = await bot.finish()
    assert code == 1
    assert expected in err and "Traceback" not in err


def test_garbage_collector_tuning_freezes_what_exists_and_collects_the_young_less_often():
    threshold = gc.get_threshold()
    try:
        tune_for_bursts()
        assert gc.get_freeze_count() > 10_000  # the libraries and everything loaded so far
        assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, threshold[1], threshold[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
