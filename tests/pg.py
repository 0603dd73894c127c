"""PostgreSQL for the tests: a fresh database per test on 127.0.0.1:5432 (trust auth).

Without a reachable server the tests that need one skip, saying why; under CI they fail.
`store_url` runs a test on both back ends: '' (SQLite files in the home) and PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest

PG_HOST = os.environ.get("KITHKEEP_TEST_PG_HOST", "127.0.0.1")
PG_ADMIN = f"host={PG_HOST} port=5432 user=postgres dbname=postgres connect_timeout=3"


def _admin() -> object:
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.Error as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        reason = f"PostgreSQL not reachable at {PG_HOST}:5432: {first}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI must run these tests)")
        pytest.skip(reason)


@contextmanager
def pg_database(options: str = "") -> Iterator[str]:
    """A new, empty database (made with these `CREATE DATABASE` options); dropped
    afterwards (with whoever is still connected)."""
    admin = _admin()
    name = f"kithkeep_test_{uuid4().hex[:16]}"
    admin.execute(f'CREATE DATABASE "{name}" {options}')  # type: ignore[attr-defined]
    try:
        yield f"postgresql://postgres@{PG_HOST}:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


def empty(url: str) -> None:
    """Empty a test database again (for a hypothesis example after another)."""
    if not url:
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP SCHEMA public CASCADE")
        c.execute("CREATE SCHEMA public")


def use_store(home: Path, url: str) -> None:
    """Point the home's config (written already) at this store; '' keeps SQLite."""
    if url:
        with (home / "config.toml").open("a") as f:
            f.write(f'\n[store]\nurl = "{url}"\n')


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each back end in turn: '' for SQLite, a fresh database's URL for PostgreSQL."""
    if request.param == "sqlite":
        yield ""
        return
    with pg_database() as url:
        yield url
