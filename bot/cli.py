"""The `studybot` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.content import ContentError, content_files, load_content
from bot.content_report import report
from bot.content_style import check_style
from bot.content_tidy import tidy_content
from bot.core import StudyBot
from bot.gc_tuning import tune_for_bursts
from bot.logs import setup_logging
from bot.storage import MIGRATIONS, StorageError, is_postgres_url, open_storage
from bot.storage.copy import CopyRefused, copy_database
from bot.storage.errors import BackupInterrupted, BackupRefused, DatabaseDamaged
from bot.storage.postgres.schema import MIGRATIONS as PG_MIGRATIONS
from bot.storage.postgres.store import PG_DUMP_HINT
from bot.storage.sqlite.health import backup_database

log = logging.getLogger("studybot")
SHOWN_WARNINGS = 30
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studybot", description="Study AWS certifications together.")
    parser.add_argument("--config", help="YAML settings file (or STUDYBOT_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="connect to Discord/Slack with the tokens set, else run the local console")
    sub.add_parser("console", help="the local terminal chat on the embedded database")
    content = sub.add_parser("content", help="study content tools")
    content_sub = content.add_subparsers(dest="action", required=True)
    content.set_defaults(path=None)  # `content reload` takes no path
    check = content_sub.add_parser("check", help="validate the question and lookup YAML")
    check.add_argument("path", nargs="?", help="content directory (default: the configured one)")
    check.add_argument("--seeds", help="the raw study notes: check that every declared source is a file there")
    check.add_argument("--warnings-as-errors", action="store_true", help="fail on house-style warnings too")
    check.add_argument(
        "--all-warnings", action="store_true", help=f"list every warning, not the first {SHOWN_WARNINGS}"
    )
    report_cmd = content_sub.add_parser(
        "report", help="coverage by exam, service and difficulty; gaps; near-duplicates"
    )
    report_cmd.add_argument("path", nargs="?", help="content directory (default: the configured one)")
    content_sub.add_parser("reload", help="tell the running bot (on this machine) to reload its content")
    tidy = content_sub.add_parser("tidy", help="apply the mechanical house style: （）, spacing, unbroken sentences")
    tidy.add_argument("path", nargs="?", help="content directory (default: the configured one)")
    tidy.add_argument("--dry-run", action="store_true", help="say which files would change; write nothing")
    add_import_parser(content_sub)
    add_export_parser(content_sub)
    sub.add_parser("health", help="exit 0 when the running bot on this machine is healthy (for HEALTHCHECK)")
    db = sub.add_parser("db", help="database tools")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("migrate", help="create the database or bring its schema up to date")
    copy = db_sub.add_parser("copy", help="copy a whole deployment between SQLite and PostgreSQL into an empty target")
    copy.add_argument("source", help="a SQLite file or a postgresql:// URL")
    copy.add_argument("target", help="a SQLite file or a postgresql:// URL, holding no data yet")
    backup = db_sub.add_parser("backup", help="copy the database while the bot runs (a consistent snapshot)")
    backup.add_argument("path", help="where to write the copy")
    backup.add_argument("--force", action="store_true", help="overwrite an existing file that is not a backup")
    args = parser.parse_args(argv)

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "content":
            path = Path(args.path) if args.path else settings.content_dir
            if args.action == "reload":
                return local_request(settings, "POST", "/admin/reload")
            if args.action == "tidy":
                return content_tidy(path, write=not args.dry_run)
            if args.action == "import":
                return content_import(settings, args)
            if args.action == "export":
                return content_export(settings, args)
            if args.action == "report":
                print(report(load_content(path, settings.seeds_dir)))
                return 0
            if getattr(args, "seeds", None):
                settings = replace(settings, seeds_dir=Path(args.seeds))
            return content_check(settings, path, args.warnings_as_errors, args.all_warnings)
        if args.command == "health":
            return local_request(settings, "GET", "/healthz")
        if args.command == "db" and args.action == "backup":
            if is_postgres_url(settings.database):
                raise BackupRefused(PG_DUMP_HINT)
            if not Path(settings.database).exists():
                print(f"studybot: no database at {settings.database}", file=sys.stderr)
                return 1
            return db_backup(settings, Path(args.path), force=args.force)
        if args.command == "db" and args.action == "copy":
            return db_copy(args.source, args.target)
        if args.command == "db":
            return asyncio.run(db_migrate(settings))
        if args.command == "run" and settings.has_platform_tokens:
            return asyncio.run(run_platforms(settings))
        return asyncio.run(run_console(settings))
    except (BackupRefused, CopyRefused, DatabaseDamaged) as exc:  # nothing was touched: fix the path or the file
        print(f"studybot: {exc}", file=sys.stderr)
        return 2
    except BackupInterrupted as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 130
    except (ContentError, StorageError) as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def local_request(settings: Settings, method: str, path: str) -> int:
    """Ask the bot running on this machine over its HTTP server; print the answer; 0 when it says ok.
    Sends STUDYBOT_ADMIN_TOKEN when set (the admin endpoint needs it)."""
    url = f"http://127.0.0.1:{settings.http_port}{path}"
    headers = {"Content-Type": "application/json"}  # urllib would say form-urlencoded, which is refused
    if settings.admin_token:
        headers["Authorization"] = f"Bearer {settings.admin_token}"
    request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            print(resp.read().decode())
            return 0
    except urllib.error.HTTPError as exc:
        print(exc.read().decode(), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"studybot: no bot answering at {url}: {exc}", file=sys.stderr)
        return 1


def content_check(settings: Settings, path: Path, strict: bool = False, every: bool = False) -> int:
    """Validation problems and platform-size errors fail; house-style warnings are listed and fail only
    with --warnings-as-errors (the shipped bank's test keeps them at zero)."""
    started = time.perf_counter()
    try:
        bank = load_content(path, settings.seeds_dir)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    errors, warnings = check_style(bank, path)
    elapsed = time.perf_counter() - started
    if errors:
        print(ContentError(errors), file=sys.stderr)
    if warnings:
        shown = warnings if every else warnings[:SHOWN_WARNINGS]
        print(f"{len(warnings)} house-style warning(s) (content/FORMAT.md):", file=sys.stderr)
        for problem in shown:
            print(f"  - {problem}", file=sys.stderr)
        if len(shown) < len(warnings):
            print(f"  ... and {len(warnings) - len(shown)} more (--all-warnings lists them)", file=sys.stderr)
    if errors or (strict and warnings):
        return 1
    multi = sum(q.multi for q in bank.questions.values())
    packs = ", ".join(f"{p.name} {p.questions}/{p.entries}" for p in bank.packs.values()) if len(bank.packs) > 1 else ""
    print(
        f"ok: {len(bank.questions)} questions ({multi} multi-select), {len(bank.entries)} lookup entries "
        f"in {path} ({elapsed * 1000:.0f} ms)"
        + (f", {len(warnings)} style warning(s)" if warnings else "")
        + (f"; packs (questions/lookup entries): {packs}" if packs else "")
    )
    return 0


def add_import_parser(content_sub: argparse._SubParsersAction) -> None:
    imp = content_sub.add_parser(
        "import", help="bring practice questions (Markdown, CSV/TSV, Anki) and study notes into a content pack"
    )
    imp.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="files of practice questions: .md, .csv, .tsv, Anki's .txt export, .apkg, .colpkg",
    )
    imp.add_argument("--pack", required=True, help="the pack to write: content/packs/NAME/ (a-z, 0-9, -)")
    imp.add_argument("--notes", action="append", default=[], metavar="FILE.md", help="study notes → lookup entries")
    imp.add_argument("--exam", help="the exam of questions that name none (DOP-C02, DVA-C02, SAA-C03, SOA-C02)")
    imp.add_argument("--service", help="the service tag of questions in which no AWS service is recognised")
    imp.add_argument("--title", help="the pack's title, shown as the source of its questions")
    imp.add_argument(
        "--language", choices=("ja", "en"), help="the pack's language (default: that of most of its questions)"
    )
    imp.add_argument("--licence", "--license", dest="licence", help="the material's licence (needed for a new pack)")
    imp.add_argument("--source", help="where the material comes from, e.g. a repository URL (needed for a new pack)")
    imp.add_argument("--dry-run", action="store_true", help="report what would be imported; write nothing")


def content_import(settings: Settings, args: argparse.Namespace) -> int:
    """Per file: what went in and what did not (file, line, reason). Exit 0 when everything went in,
    1 when something was left out (the rest is written), 2 when nothing was written."""
    from bot.importing import ImportOptions, ImportRefused, import_files

    options = ImportOptions(pack=args.pack, exam=args.exam, service=args.service)
    meta = {"title": args.title, "language": args.language, "licence": args.licence, "source": args.source}
    try:
        result = import_files(
            settings.content_dir,
            [Path(p) for p in args.paths],
            options,
            notes=[Path(p) for p in args.notes],
            meta={k: v for k, v in meta.items() if v},
            dry_run=args.dry_run,
        )
    except ImportRefused as exc:
        if exc.report is not None:
            for line in exc.report.lines()[:-1]:
                print(line)
        print(f"studybot: import refused, nothing written: {exc}", file=sys.stderr)
        return 2
    for line in result.lines():
        print(line)
    return 1 if result.problems else 0


def add_export_parser(content_sub: argparse._SubParsersAction) -> None:
    exp = content_sub.add_parser("export", help="write the bank or a pack as an Anki deck (.apkg) and/or CSV")
    exp.add_argument(
        "--anki",
        metavar="FILE.apkg",
        help="an Anki deck: prompt and choices on the front, answer and explanations on the back",
    )
    exp.add_argument("--csv", metavar="FILE.csv", help="CSV with a header row, the shape `content import` reads")
    exp.add_argument("--pack", help="the pack to export (default: the shipped bank, core)")


def content_export(settings: Settings, args: argparse.Namespace) -> int:
    """Exit 0 with a line per file written; 2 when nothing was written."""
    from bot.importing.export import ExportRefused, export

    try:
        lines = export(
            settings.content_dir,
            args.pack,
            Path(args.anki) if args.anki else None,
            Path(args.csv) if args.csv else None,
        )
    except (ExportRefused, ContentError) as exc:
        print(f"studybot: export refused, nothing written: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"studybot: export failed, nothing written: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def content_tidy(path: Path, write: bool) -> int:
    try:
        results = tidy_content(path, write=write)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    verb = "tidied" if write else "would tidy"
    for r in results:
        print(f"{verb} {r.path}: {r.changed_lines} line(s)")
    print(f"ok: {len(results)} file(s) {verb}" if results else "ok: nothing to tidy")
    return 0


async def db_migrate(settings: Settings) -> int:
    storage = await open_storage(settings.database)
    await storage.close()
    version = len(PG_MIGRATIONS) if is_postgres_url(settings.database) else len(MIGRATIONS)
    print(f"ok: {storage.path} is at schema version {version}")
    return 0


def db_copy(source: str, target: str) -> int:
    """`studybot db copy`: every row of SOURCE into the empty TARGET (bot/storage/copy.py)."""
    if not is_postgres_url(source) and not Path(source).exists():
        raise CopyRefused(f"no database at {source}")
    started = time.perf_counter()

    def progress(table: str, rows: int) -> None:
        print(f"copy: {table}: {rows} row(s)", file=sys.stderr)

    counts = asyncio.run(copy_database(source, target, progress))
    shown = ", ".join(f"{n} {table}" for table, n in counts.items())
    print(f"ok: copied {shown} in {time.perf_counter() - started:.1f} s; the counts match")
    return 0


def db_backup(settings: Settings, path: Path, force: bool = False) -> int:
    """Copy the live database without opening it as the bot does (no migration, no lock held): Ctrl-C
    or SIGTERM stop the copy at its next step and remove what it wrote."""
    stopped: list[int] = []

    def progress(done: int, total: int) -> None:
        print(f"backup: {100 * done // max(total, 1)}% ({done // 2**20}/{total // 2**20} MiB)", file=sys.stderr)

    previous = {sig: signal.signal(sig, lambda signum, _: stopped.append(signum)) for sig in STOP_SIGNALS}
    started = time.perf_counter()
    try:
        size = backup_database(settings.database, path, force=force, progress=progress, stop=lambda: bool(stopped))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(f"ok: {settings.database} backed up to {path} ({size // 1024} KiB in {time.perf_counter() - started:.1f} s)")
    return 0


async def run_console(settings: Settings) -> int:
    from adapters.console.adapter import ConsoleAdapter, stdin_lines
    from bot.scheduler import DailyScheduler

    setup_logging(settings, logging.WARNING, json_lines=False)  # the terminal is the chat: keep logs short
    bot = await StudyBot.create(settings)
    console = ConsoleAdapter(bot, settings.console_user)
    scheduler = DailyScheduler(bot)
    await scheduler.start()
    print(f"studybot console — you are {console.user_name}; database {settings.database}; /quit to leave")
    try:
        await console.run(stdin_lines())
    finally:
        await scheduler.stop()
        await bot.close()
    return 0


def slack_mode(settings: Settings) -> str | None:
    """Socket Mode when an app-level token is set, else HTTP mode with the signing secret; OAuth
    (SLACK_CLIENT_ID, install to any workspace) is HTTP mode, for Slack's redirect."""
    if settings.slack_client_id:
        if not (settings.slack_client_secret and settings.slack_signing_secret):
            raise ConfigError("SLACK_CLIENT_ID needs SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (OAuth, HTTP mode)")
        return "http"
    if not settings.slack_bot_token:
        return None
    if settings.slack_app_token:
        return "socket"
    if settings.slack_signing_secret:
        return "http"
    raise ConfigError("SLACK_BOT_TOKEN needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)")


async def run_platforms(settings: Settings) -> int:
    from aiohttp import web

    from bot.scheduler import DailyScheduler
    from bot.web import add_ops_routes, metrics_app, serve

    setup_logging(settings)
    try:
        mode = slack_mode(settings)
    except ConfigError as exc:
        print(f"studybot: {exc}", file=sys.stderr)
        return 2
    bot = await StudyBot.create(settings)
    scheduler = DailyScheduler(bot)
    closers: list[Callable[[], Awaitable[object]]] = []
    stop = asyncio.Event()
    stop_on_signals(stop)  # from the start: a SIGTERM while connecting or catching up stops that too

    async def start_up() -> int:
        web_app = web.Application()
        if mode is not None:
            from adapters.slack import SlackAdapter

            slack = SlackAdapter(bot, settings)
            closers.append(slack.close)
            if mode == "socket":
                handler = await slack.start_socket_mode(settings.slack_app_token or "")
                closers.append(handler.close_async)
            else:
                web_app = slack.web_app(settings.slack_path)
        separate_metrics = settings.metrics_port is not None
        add_ops_routes(web_app, bot, lambda: scheduler.running, metrics=not separate_metrics)
        if separate_metrics:
            assert settings.metrics_port is not None
            metrics_server = await serve(metrics_app(bot), settings.metrics_host, settings.metrics_port)
            closers.append(metrics_server.cleanup)
        runner = await serve(
            web_app,
            settings.http_host,
            settings.http_port,
            header_timeout=settings.http_header_timeout,
            max_connections=settings.http_max_connections or None,
        )
        closers.append(runner.cleanup)
        if settings.discord_token:
            from adapters.discord import DiscordRunner

            discord_runner = DiscordRunner(bot, settings)
            closers.append(discord_runner.close)
            gateway = asyncio.create_task(discord_runner.run(settings.discord_token))
            gateway.add_done_callback(lambda task: _stop_on_failure(task, stop, "Discord"))
            # The scheduler may post at once (catch-up): only once Discord is connected.
            ready = asyncio.create_task(discord_runner.wait_until_ready())
            await asyncio.wait([gateway, ready], return_when=asyncio.FIRST_COMPLETED)
            if gateway.done():
                ready.cancel()
                return 1
        await scheduler.start()
        watcher = asyncio.create_task(watch_content(bot))
        closers.append(lambda: _cancel(watcher))
        tune_for_bursts()
        return 0

    try:
        starting = asyncio.create_task(start_up())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            await _cancel(starting)
        elif starting.result() != 0:
            return starting.result()
        await stopping
        log.info("stopping")
    finally:
        await scheduler.stop()
        for close in reversed(closers):
            await close()
        await bot.close()
    return 0


async def watch_content(bot: StudyBot, interval: float = 5.0) -> None:
    """Reload the content when its files change; a broken edit is refused and logged (see reload_content)."""
    seen = await asyncio.to_thread(content_signature, bot.settings.content_dir)
    while True:
        await asyncio.sleep(interval)
        try:
            current = await asyncio.to_thread(content_signature, bot.settings.content_dir)
            if current != seen:
                seen = current
                with contextlib.suppress(ContentError):
                    await bot.reload_content()
        except asyncio.CancelledError:
            raise
        except Exception:  # the watcher must outlive any file an editor leaves behind; the next edit still loads
            log.exception("content watcher: could not check the content folder, trying again")


def content_signature(content_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when an author saves: names, mtimes and sizes. A file that vanishes while it is looked
    at (an editor's temporary file) is simply not part of it."""
    paths = [*content_files(content_dir / "questions"), *content_files(content_dir / "lookup")]
    paths += pack_files(content_dir)
    found = []
    for p in [*paths, content_dir / "sources.yaml"]:
        try:
            st = p.stat()
        except OSError:
            continue
        found.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


def pack_files(content_dir: Path) -> list[Path]:
    """Every file of every pack (content/packs/NAME/...), and the pack folders themselves, so a pack
    added or removed on disk is a change too."""
    root = content_dir / "packs"
    try:
        folders = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    except OSError:
        return []
    found = []
    for folder in folders:
        found.append(folder)
        for sub in (folder, folder / "questions", folder / "lookup"):
            found += content_files(sub)
    return found


async def _cancel(task: asyncio.Task[object]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _stop_on_failure(task: asyncio.Task[None], stop: asyncio.Event, name: str) -> None:
    """A platform connection that ends by itself (a bad token, say) stops the bot with a clear log line."""
    if not task.cancelled() and task.exception() is not None:
        log.error("the %s connection failed: %s", name, task.exception())
        stop.set()


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`, so everything closes in order (answers in flight committed)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


if __name__ == "__main__":
    sys.exit(main())
