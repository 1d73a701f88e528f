"""A broken configuration says which setting and which line, and never prints a secret: through the
real `studybot` command, with real secret-looking values in the file and the environment."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.processes import STUDYBOT

DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789"
BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
APP = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789"
SIGNING = "8f14e45fceea167a5a36dedd4bea2543"  # hex, no recognisable shape: only known as a secret
ADMIN = "adm1n-t0ken-Zq8Rr2LmVw"
METRICS = "m3trics-t0ken-Pk4Hh7Yy"
ALL = [DISCORD, BOT, APP, SIGNING, ADMIN, METRICS]


def studybot(tmp_path, config: str | None, **env: str) -> tuple[int, str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "STUDYBOT_"))} | env
    if config is not None:
        (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
        full["STUDYBOT_CONFIG"] = str(tmp_path / "config.yaml")
    done = subprocess.run(
        [str(STUDYBOT), "db", "migrate"], env=full, capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    return done.returncode, done.stdout + done.stderr


def secrets_file(broken_line: str) -> str:
    return (
        f"discord_token: {DISCORD}\n"
        f"slack_signing_secret: {SIGNING}\n"
        f"admin_token: {ADMIN}\n"
        f"{broken_line}\n"
        f"metrics_token: {METRICS}\n"
    )


@pytest.mark.parametrize(
    ("config", "env", "says"),
    [
        # A YAML error on the line of a secret: PyYAML's own message quotes that line.
        (secrets_file(f"slack_bot_token: {BOT}: extra"), {}, ["line 4", "slack_bot_token"]),
        (secrets_file(f'slack_app_token: "{APP}'), {}, ["line 4"]),
        (secrets_file(f"slack_bot_token: [{BOT}"), {}, ["line"]),
        # A token pasted into the wrong setting.
        (secrets_file(f"http_port: {BOT}"), {}, ["http_port", "line 4"]),
        (secrets_file(f"http_port: {SIGNING}"), {}, ["http_port", "line 4"]),
        (secrets_file(f"timezone: {SIGNING}"), {}, ["timezone", "line 4"]),
        (secrets_file(f"locale: {ADMIN}"), {}, ["locale", "line 4"]),
        (secrets_file(f"{BOT}: 1"), {}, ["unknown settings", "line 4"]),
        (None, {"STUDYBOT_HTTP_PORT": APP, "SLACK_APP_TOKEN": APP}, ["STUDYBOT_HTTP_PORT"]),
        (None, {"STUDYBOT_LEASE_SECONDS": METRICS, "STUDYBOT_METRICS_TOKEN": METRICS}, ["STUDYBOT_LEASE_SECONDS"]),
        (None, {"STUDYBOT_TIMEZONE": SIGNING, "SLACK_SIGNING_SECRET": SIGNING}, ["STUDYBOT_TIMEZONE"]),
    ],
)
def test_config_errors_name_the_setting_and_never_print_a_secret(tmp_path, config, env, says):
    code, output = studybot(tmp_path, config, **env)
    assert code == 2, output
    for secret in ALL:
        assert secret not in output, output
        assert secret[:12] not in output, output  # nor a good part of one
    for words in says:
        assert words in output, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output


def test_a_good_config_file_is_taken(tmp_path):
    config = f"database: {tmp_path / 'x.db'}\nhttp_port: 3100\nadmin_token: {ADMIN}\n"
    code, output = studybot(tmp_path, config)
    assert code == 0, output
    assert ADMIN not in output


@pytest.mark.parametrize(
    "name",
    ["America/Argentina", "Asia", "A" * 5000, "Asia/Tokyo/" + "x" * 300, "../../etc/passwd", "/etc/localtime", ""],
)
def test_only_iana_time_zone_names_pass(name):
    """Folders of tzdata (IsADirectoryError), over-long names (OSError: name too long) and paths all
    end as a ConfigError, never another exception."""
    from bot.config import ConfigError, check_timezone

    with pytest.raises(ConfigError):
        check_timezone(name)
    assert check_timezone("America/Argentina/Buenos_Aires").key == "America/Argentina/Buenos_Aires"


@pytest.mark.parametrize("value", ["4/4", "0-1", "1-0/4", "a/4", "0-1/0"])
def test_a_malformed_shard_share_names_the_setting(tmp_path, value):
    code, output = studybot(tmp_path, None, STUDYBOT_DISCORD_SHARDS=value)
    assert code == 2
    assert "discord_shards (set by STUDYBOT_DISCORD_SHARDS) must be shard ids out of a count" in output


def test_a_shard_share_is_read_as_ids_and_a_count():
    from bot.config import load_settings

    assert load_settings(env={"STUDYBOT_DISCORD_SHARDS": "0-1/4"}).discord_shards == ((0, 1), 4)
    assert load_settings(env={"STUDYBOT_DISCORD_SHARDS": "1,3,5-6/8"}).discord_shards == ((1, 3, 5, 6), 8)
    assert load_settings(env={}).discord_shards is None
