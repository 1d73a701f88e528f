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

from bot.redaction import redact

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which one."""


@dataclass(frozen=True)
class Settings:
    # a SQLite file (the default), or a postgresql://user:password@host/dbname URL for several processes
    database: Path | str = Path("data/studybot.db")
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
    # This process's share of the gateway shards, (shard ids, shard count), from "0-1/4"; None: all of
    # them, as many as Discord recommends. Each process posts only to the servers of its shards.
    discord_shards: tuple[tuple[int, ...], int] | None = None
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
    # Seconds a connection gets to send a request's headers (and an idle keep-alive connection lasts);
    # connections open at most at once (0: 1,000, or half the process's file descriptor limit if lower).
    http_header_timeout: float = 10.0
    http_max_connections: int = 0
    admin_token: str | None = None  # /admin/reload takes it as a bearer token; unset, it is refused
    metrics_token: str | None = None  # set, /metrics takes it as a bearer token
    metrics_host: str = "127.0.0.1"  # with metrics_port: /metrics on an address of its own
    metrics_port: int | None = None  # unset, /metrics is on the main HTTP port
    # Seconds a Slack command or click may take before it is acknowledged anyway (Slack's window is
    # 3 s); its reply then follows through response_url when the work is done.
    slack_ack_seconds: float = 2.0
    # OAuth (install to any workspace, adapters/slack/oauth.py) instead of one SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_redirect_uri: str | None = None  # https://your.host/slack/oauth_redirect, as in the app's settings
    # Seconds a process's claim on a post (sending or revealing it) holds without being renewed: after a
    # crash, another process (or the restarted one) finishes the post this long after.
    lease_seconds: float = 90.0
    # /healthz fails below this much free space on the database's disk, while the bot can still say so
    min_free_mb: int = 64
    # Seconds the bot keeps trying, at start, a PostgreSQL server it cannot reach yet (down, starting up)
    database_wait: float = 60.0
    # "normal": an acknowledged answer survives the process being killed, not a power cut (the last
    # commits may still be in the OS's cache). "full": fsync at every commit, so it survives both.
    durability: str = "normal"
    # "on": one log line per HTTP request (aiohttp's access log). Off by default: the reverse proxy in
    # front keeps those, and at a burst of Slack clicks writing them was about a sixth of the bot's own work.
    access_log: str = "off"
    # Charts (bot/chart_renderer.py): worker processes that draw them, away from the event loop
    # (0: a thread of this process, which shares the interpreter with the clicks); where the console
    # writes its PNGs (unset: a charts/ folder beside the SQLite database, or the system's temp folder).
    chart_workers: int = 1
    chart_dir: Path | None = None

    def locale_for(self, platform_locale: str | None) -> str:
        """The language of a new community: the configured one, else the platform's, else Japanese."""
        if self.locale is not None:
            return self.locale
        if platform_locale is not None:
            return "ja" if platform_locale.lower().startswith("ja") else "en"
        return DEFAULT_LOCALE

    @property
    def has_platform_tokens(self) -> bool:
        return bool(self.discord_token or self.slack_bot_token or self.slack_client_id)


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
    "discord_shards": "STUDYBOT_DISCORD_SHARDS",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_api_url": "SLACK_API_URL",
    "slack_response_hosts": "STUDYBOT_SLACK_RESPONSE_HOSTS",
    "http_host": "STUDYBOT_HTTP_HOST",
    "http_port": "STUDYBOT_HTTP_PORT",
    "slack_path": "SLACK_EVENTS_PATH",
    "http_header_timeout": "STUDYBOT_HTTP_HEADER_TIMEOUT",
    "http_max_connections": "STUDYBOT_HTTP_MAX_CONNECTIONS",
    "admin_token": "STUDYBOT_ADMIN_TOKEN",
    "metrics_token": "STUDYBOT_METRICS_TOKEN",
    "metrics_host": "STUDYBOT_METRICS_HOST",
    "metrics_port": "STUDYBOT_METRICS_PORT",
    "slack_ack_seconds": "SLACK_ACK_SECONDS",
    "slack_client_id": "SLACK_CLIENT_ID",
    "slack_client_secret": "SLACK_CLIENT_SECRET",
    "slack_redirect_uri": "SLACK_REDIRECT_URI",
    "lease_seconds": "STUDYBOT_LEASE_SECONDS",
    "min_free_mb": "STUDYBOT_MIN_FREE_MB",
    "durability": "STUDYBOT_DURABILITY",
    "access_log": "STUDYBOT_ACCESS_LOG",
    "database_wait": "STUDYBOT_DATABASE_WAIT",
    "chart_workers": "STUDYBOT_CHART_WORKERS",
    "chart_dir": "STUDYBOT_CHART_DIR",
}


SECRETS = (
    "discord_token",
    "slack_bot_token",
    "slack_app_token",
    "slack_signing_secret",
    "admin_token",
    "metrics_token",
    "slack_client_secret",
)
NUMBERS: dict[str, tuple[type, float, float, str]] = {  # name: (type, lowest, highest, what it is)
    "http_port": (int, 0, 65535, "a port number"),
    "metrics_port": (int, 0, 65535, "a port number"),
    "min_free_mb": (int, 0, 2**40, "a whole number of MiB"),
    "http_max_connections": (int, 0, 10**6, "a whole number"),
    "http_header_timeout": (float, 0.1, 600, "a number of seconds"),
    "lease_seconds": (float, 1, 3600, "a number of seconds"),
    "database_wait": (float, 0, 3600, "a number of seconds"),
    "chart_workers": (int, 0, 64, "a whole number of processes"),
    "slack_ack_seconds": (float, 0, 2.5, "a number of seconds, at most 2.5 (Slack waits 3 s for the ack)"),
}
CHOICES = {"locale": LOCALES, "durability": ("normal", "full"), "access_log": ("off", "on")}


def load_settings(config_file: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Merge defaults, the YAML file (STUDYBOT_CONFIG or the argument) and the environment.

    Errors name the setting and where it was set (the line of the file, or the variable) but never
    its value, which may be a token pasted into the wrong key; every message goes through redact()."""
    env = dict(os.environ if env is None else env)
    raw: dict[str, object] = {}
    where: dict[str, str] = {}
    try:
        path = config_file or env.get("STUDYBOT_CONFIG")
        if path:
            loaded, lines = _read_file(Path(path))
            raw.update(loaded)
            where.update({name: f"line {line} of {path}" for name, line in lines.items()})
        for name, var in _ENV.items():
            if env.get(var):
                raw[name] = env[var]
                where[name] = f"set by {var}"
        return _build(raw, where)
    except ConfigError as exc:
        secrets = [str(raw.get(name) or "") for name in SECRETS] + [env.get(_ENV[name], "") for name in SECRETS]
        raise ConfigError(redact(str(exc), secrets)) from None


def _read_file(path: Path) -> tuple[dict[str, object], dict[str, int]]:
    """The file's settings, and the line each is on."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        loaded = yaml.safe_load(text) or {}
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path}: {_yaml_problem(exc, text)}") from None
    if not isinstance(loaded, dict) or not isinstance(node, yaml.MappingNode):
        raise ConfigError(f"config file {path} must be a mapping of setting: value")
    lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value if isinstance(key, yaml.ScalarNode)}
    known = {f.name for f in fields(Settings)}
    unknown = sorted(str(k) for k in loaded if k not in known)
    if unknown:
        named = ", ".join(f"{name[:40]} (line {lines.get(name, '?')})" for name in unknown)
        raise ConfigError(f"config file {path}: unknown settings {named}")
    return loaded, lines


def _yaml_problem(exc: yaml.YAMLError, text: str) -> str:
    """What PyYAML found and where (and what it was reading, which may have begun lines before), with
    the setting each line starts with; never PyYAML's own message, which quotes the lines."""
    lines = text.splitlines()

    def at(mark: yaml.Mark | None) -> str:
        if mark is None:
            return ""
        line = lines[mark.line] if mark.line < len(lines) else ""
        key, colon, _ = line.partition(":")
        setting = f", the line of {key.strip()[:40]}" if colon and key.strip().isidentifier() else ""
        return f" at line {mark.line + 1}, column {mark.column + 1}{setting}"

    problem = getattr(exc, "problem", None) or "malformed YAML"
    context = getattr(exc, "context", None)
    started = f" ({context}{at(getattr(exc, 'context_mark', None))})" if context else ""
    return f"malformed YAML{at(getattr(exc, 'problem_mark', None))}: {problem}{started}"


def _build(raw: dict[str, object], where: dict[str, str] | None = None) -> Settings:
    where = where or {}

    def bad(name: str, what: str) -> ConfigError:
        return ConfigError(f"{name} ({where.get(name, 'setting')}) must be {what}; the value is not shown")

    values: dict[str, object] = {}
    for name, value in raw.items():
        if name == "database" and str(value).startswith(("postgresql://", "postgres://")):
            values[name] = str(value)  # a URL: Path() would fold its "//"
        elif name in ("database", "content_dir", "seeds_dir", "chart_dir"):
            values[name] = Path(str(value)).expanduser()
        elif name in NUMBERS:
            kind, low, high, what = NUMBERS[name]
            try:
                number = kind(str(value))
            except ValueError:
                raise bad(name, what) from None
            if not low <= number <= high:
                raise bad(name, f"between {low:g} and {high:g}")
            values[name] = number
        elif name == "discord_shards":
            shards = parse_shards(str(value))
            if shards is None:
                raise bad(name, "shard ids out of a count, such as 0-1/4 (shards 0 and 1 of 4) or 2,3/4")
            values[name] = shards
        elif name in ("admins", "slack_response_hosts"):
            if not isinstance(value, str | list | tuple):
                raise bad(name, "a comma-separated list of user ids")
            items = value.split(",") if isinstance(value, str) else list(value)
            values[name] = tuple(str(i).strip() for i in items if str(i).strip())
        else:
            values[name] = str(value)
        if name in CHOICES and values[name] not in CHOICES[name]:
            raise bad(name, f"one of {', '.join(CHOICES[name])}")
    if "timezone" in values:
        try:
            check_timezone(str(values["timezone"]))
        except ConfigError:
            raise bad("timezone", "an IANA time zone name such as Asia/Tokyo") from None
    return Settings(**values)  # type: ignore[arg-type]


def parse_shards(text: str) -> tuple[tuple[int, ...], int] | None:
    """ "0-1/4" -> ((0, 1), 4); "2,3/4" and "5/8" too. None when malformed or an id is not below the count."""
    ids_text, slash, count_text = text.replace(" ", "").partition("/")
    if not slash or not count_text.isdigit() or not ids_text:
        return None
    count = int(count_text)
    ids: set[int] = set()
    for part in ids_text.split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            return None
        first, last = int(low), int(high) if dash else int(low)
        if first > last or count > 10**6:
            return None
        ids.update(range(first, last + 1))
    if not 0 < count or max(ids) >= count:
        return None
    return tuple(sorted(ids)), count


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> ZoneInfo:
    """Only names of the IANA database: ZoneInfo() itself also opens folders of tzdata such as
    "America/Argentina" (IsADirectoryError) and paths, which are not time zones."""
    if name not in known_timezones():
        raise ConfigError(f"unknown timezone {name!r} (use an IANA name such as Asia/Tokyo)")
    try:
        return ZoneInfo(name)
    except (OSError, ValueError, KeyError):  # listed, yet its file cannot be read (a broken tzdata)
        raise ConfigError(f"time zone {name!r} cannot be loaded (use an IANA name such as Asia/Tokyo)") from None
