"""The PostgreSQL server the tests run against: real, private to the run, a database per test."""

from __future__ import annotations

import asyncio

import asyncpg


async def test_the_server_answers_on_loopback_and_is_not_run_as_root(postgres_server, postgres_url):
    assert postgres_url.startswith("postgresql://postgres@127.0.0.1:")
    conn = await asyncio.wait_for(asyncpg.connect(postgres_url), 10)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
    finally:
        await conn.close()
    owner = (postgres_server.data / "PG_VERSION").stat().st_uid
    assert owner != 0


async def test_each_test_gets_an_empty_database_of_its_own(postgres_server):
    first, second = postgres_server.database(), postgres_server.database()
    assert first != second
    conn = await asyncio.wait_for(asyncpg.connect(first), 10)
    try:
        await conn.execute("CREATE TABLE only_here (x int)")
    finally:
        await conn.close()
    conn = await asyncio.wait_for(asyncpg.connect(second), 10)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'") == 0
    finally:
        await conn.close()
