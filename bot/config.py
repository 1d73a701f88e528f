"""Settings from the environment and an optional YAML file.

Environment variables win over the file so that a container can override a baked-in config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which one."""


@dataclass(frozen=True)
class Settings:
    database: Path = Path("data/studybot.db")
    content_dir: Path = PROJECT_ROOT / "content"
    seeds_dir: Path | None = None  # the raw study notes: given, content check verifies each source is there
    # None: a new server/workspace takes the platform's language for it where there is one (Discord's
    # preferred locale), else DEFAULT_LOCALE. Set, it is the language of every new community.
    locale: str | None = None
    timezone: str = "Asia/Tokyo"
    console_user: str = field(default_factory=lambda: os.environ.get("USER") or "you")
    admins: tuple[str, ...] = ()
    discord_token: str | None = None
    discord_guild_id: str | None = None  # sync commands to this server only: instant, for trying things out
    discord_api_url: str | None = None  # a proxy or a test's fake Discord instead of https://discord.com/api/v10
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = "https://slack.com/api/"  # a proxy or a test's fake Slack
    # Where a response_url may point: the bot POSTs replies there, so a signed request must not be able
    # to aim it at anything else (the bot's own /admin/reload, say). URL prefixes; tests add their fake.
    slack_response_hosts: tuple[str, ...] = ("https://hooks.slack.com/",)
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    slack_path: str = "/slack/events"
    # Seconds a process's claim on a post (sending or revealing it) holds without being renewed: after a
    # crash, another process (or the restarted one) finishes the post this long after.
    lease_seconds: float = 90.0

    def locale_for(self, platform_locale: str | None) -> str:
        """The language of a new community: the configured one, else the platform's, else Japanese."""
        if self.locale is not None:
            return self.locale
        if platform_locale is not None:
            return "ja" if platform_locale.lower().startswith("ja") else "en"
        return DEFAULT_LOCALE

    @property
    def has_platform_tokens(self) -> bool:
        return bool(self.discord_token or self.slack_bot_token)


_ENV = {
    "database": "STUDYBOT_DATABASE",
    "content_dir": "STUDYBOT_CONTENT_DIR",
    "seeds_dir": "STUDYBOT_SEEDS_DIR",
    "locale": "STUDYBOT_LOCALE",
    "timezone": "STUDYBOT_TIMEZONE",
    "console_user": "STUDYBOT_CONSOLE_USER",
    "admins": "STUDYBOT_ADMINS",
    "discord_token": "DISCORD_TOKEN",
    "discord_guild_id": "DISCORD_GUILD_ID",
    "discord_api_url": "DISCORD_API_URL",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_api_url": "SLACK_API_URL",
    "slack_response_hosts": "STUDYBOT_SLACK_RESPONSE_HOSTS",
    "http_host": "STUDYBOT_HTTP_HOST",
    "http_port": "STUDYBOT_HTTP_PORT",
    "slack_path": "SLACK_EVENTS_PATH",
    "lease_seconds": "STUDYBOT_LEASE_SECONDS",
}


def load_settings(config_file: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Merge defaults, the YAML file (STUDYBOT_CONFIG or the argument) and the environment."""
    env = dict(os.environ if env is None else env)
    raw: dict[str, object] = {}
    path = config_file or env.get("STUDYBOT_CONFIG")
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must be a mapping of setting: value")
        unknown = set(loaded) - {f.name for f in fields(Settings)}
        if unknown:
            raise ConfigError(f"config file {path}: unknown settings {', '.join(sorted(unknown))}")
        raw.update(loaded)
    for name, var in _ENV.items():
        if env.get(var):
            raw[name] = env[var]
    return _build(raw)


def _build(raw: dict[str, object]) -> Settings:
    values: dict[str, object] = {}
    for name, value in raw.items():
        if name in ("database", "content_dir", "seeds_dir"):
            values[name] = Path(str(value)).expanduser()
        elif name == "http_port":
            try:
                values[name] = int(str(value))
            except ValueError:
                raise ConfigError(f"http_port must be a number, not {value!r}") from None
        elif name == "lease_seconds":
            try:
                values[name] = float(str(value))
            except ValueError:
                raise ConfigError("lease_seconds must be a number of seconds") from None
            if not 1 <= values[name] <= 3600:
                raise ConfigError("lease_seconds must be between 1 and 3600")
        elif name in ("admins", "slack_response_hosts"):
            items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
            values[name] = tuple(str(i).strip() for i in items if str(i).strip())
        else:
            values[name] = str(value)
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.locale is not None and settings.locale not in LOCALES:
        raise ConfigError(f"locale must be one of {', '.join(LOCALES)}, not {settings.locale!r}")
    check_timezone(settings.timezone)
    return settings


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> ZoneInfo:
    """Only names of the IANA database: ZoneInfo() itself also opens folders of tzdata such as
    "America/Argentina" (IsADirectoryError) and paths, which are not time zones."""
    if name not in known_timezones():
        raise ConfigError(f"unknown timezone {name!r} (use an IANA name such as Asia/Tokyo)")
    return ZoneInfo(name)
