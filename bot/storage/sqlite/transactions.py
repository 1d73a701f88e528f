"""Transactions and the group commit: the calls queued while a batch was written run as the next batch,
in one transaction, each failing alone where SQLite lets it."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def runs_together(fn: F) -> F:
    """Mark a call whose queued neighbours are passed to it as one list: fn(conn, [args0, args1, ...])."""
    fn.runs_together = True  # type: ignore[attr-defined]
    return fn


@dataclass
class Call:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


class Tx:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error: taking the write lock up front means two
    processes sharing the database wait for each other instead of failing to upgrade a read lock."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        # SQLite may already have rolled the whole transaction back itself (disk full, I/O error).
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def run_batch(conn: sqlite3.Connection, batch: list[Call]) -> list[Any]:
    """Run the calls in one transaction; a call that fails is rolled back alone when it can be.

    Answers queued one after another are recorded together (functions marked with @runs_together, such as answers.record_answers). A failed statement
    undoes itself, so a call that fails before anything of it is written fails alone and the others
    are kept. A call that fails after writing (in practice only a full disk or an I/O error) fails
    the whole batch, so nothing is ever half-stored. That needs no savepoint per call, which would
    cost a quarter of the work of recording an answer.
    """
    results: list[Any] = []
    with Tx(conn):
        for fn, calls in itertools.groupby(batch, key=lambda call: call.fn):
            if getattr(fn, "runs_together", False):
                results += fn(conn, [call.args[0] for call in calls])
            else:
                results += [alone(conn, call.fn, conn, *call.args) for call in calls]
    return results


def alone(conn: sqlite3.Connection, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args), or the exception it raised when it wrote nothing; raises when it is half-written."""
    written = conn.total_changes
    try:
        return fn(*args)
    except Exception as exc:
        if not conn.in_transaction or conn.total_changes != written:
            raise  # SQLite undid the whole transaction itself, or this call is half-written
        return exc
