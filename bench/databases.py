"""The PostgreSQL database a benchmark runs on, from its --database: none (the benchmark's own SQLite
file), a postgresql:// URL as given, or `postgresql` for a throwaway server of its own (initdb into a
temporary folder by tests/postgres_server.py, stopped at the end). Anything else is refused: a bare
word was once taken for a SQLite path, and the benchmark filled a 350 MB file named after it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from bot.storage import is_postgres_url

HELP = "an empty PostgreSQL database (postgresql://...), or `postgresql` for a throwaway server; default SQLite"


@contextlib.contextmanager
def postgres_database(arg: str | None) -> Iterator[str | None]:
    """The URL to run on, or None for SQLite."""
    if arg is None or is_postgres_url(arg):
        yield arg
        return
    if arg != "postgresql":
        raise SystemExit(f"--database {arg!r}: give a postgresql://... URL, or `postgresql` for a throwaway server")
    from tests.postgres_server import start_server

    server = start_server()
    print(f"throwaway PostgreSQL server on port {server.port} ({server.bin_dir})")
    try:
        yield server.database()
    finally:
        server.stop()
