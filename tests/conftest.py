"""Shared fixtures: real PostgreSQL databases made and dropped per test, a clean environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from tests.fakes.base import FakeServer, Response
from tests.fakes.statuspage import FakeStatusPage
from tests.fakes.vercel import TOKEN as VERCEL_TOKEN
from tests.fakes.vercel import FakeVercel

# The server tests create their databases on; trust auth as on the CI machine.
PG_ADMIN_URL = os.environ.get("AILEX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def create_database() -> tuple[str, str]:
    """Create an empty database; return (name, libpq URL)."""
    name = f"ailex_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = psycopg.conninfo.conninfo_to_dict(PG_ADMIN_URL)
    base["dbname"] = name
    return name, psycopg.conninfo.make_conninfo(**base)


def drop_database(name: str) -> None:
    with _admin() as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def libpq_to_sqlalchemy(conninfo: str) -> str:
    """postgresql+psycopg:// URL for a libpq conninfo string."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = params.get("user", "postgres")
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    return f"postgresql+psycopg://{user}{password}@{host}:{port}/{params['dbname']}"


@pytest.fixture
def pg_dsn() -> Iterator[str]:
    """A fresh PostgreSQL database (libpq conninfo), dropped after the test."""
    name, dsn = create_database()
    try:
        yield dsn
    finally:
        drop_database(name)


@pytest.fixture
def pg_store_url(pg_dsn: str) -> str:
    """The same fresh database as a SQLAlchemy URL, for the bot's own store."""
    return libpq_to_sqlalchemy(pg_dsn)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The bot's store on SQLite and on PostgreSQL: storage tests run on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ailex.db'}"
        return
    name, dsn = create_database()
    try:
        yield libpq_to_sqlalchemy(dsn)
    finally:
        drop_database(name)


_OUR_VARIABLES = ("SLACK_", "AILEX_", "VERCEL_", "SUPABASE_", "OPENAI_", "GITHUB_", "STATUSPAGE_")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """No test sees the developer's own settings or .env file."""
    for variable in list(os.environ):
        if variable.startswith(_OUR_VARIABLES) and variable != "AILEX_TEST_PG":
            monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def default_store_url(tmp_path) -> str:
    """The store of a bot whose test names none: SQLite. A suite that must hold on every store
    overrides this fixture with `store_url` (see tests/incidents/test_lifecycle.py)."""
    return f"sqlite:///{tmp_path / 'ailex.db'}"


@pytest.fixture
def make_bot(default_store_url: str):
    """Build running bots (real app, real HTTP, fake Slack); all closed after the test. Bots
    built without a store_url share the default store, as replicas do."""
    from tests.harness import BotHarness

    bots: list[BotHarness] = []

    def build(store_url: str | None = None, **settings):
        harness = BotHarness(store_url=store_url or default_store_url, **settings)
        bots.append(harness)
        return harness

    yield build
    for harness in reversed(bots):
        harness.close()


@pytest.fixture
def bot(make_bot):
    """One running bot on the default store with its own fake Slack."""
    return make_bot()


@pytest.fixture
def clean_env() -> dict[str, str]:
    """An environment for subprocesses with none of the bot's variables set."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_OUR_VARIABLES) or key == "AILEX_TEST_PG"
    }


@pytest.fixture
def outage_world():
    """The outside world of scenario 1: a broken site, Vercel with a fresh deploy, status."""
    site = FakeServer().start()
    site.route("*", "/.*")(lambda request, match: Response(502, "bad gateway"))
    vercel = FakeVercel().start()
    vercel.add_deployment(minutes_ago=600, commit_message="previous")
    vercel.add_deployment(minutes_ago=8, commit_message="suspect")
    status = FakeStatusPage().start()
    yield {
        "site": site,
        "vercel": vercel,
        "status": status,
        "settings": {
            "VERCEL_TOKEN": VERCEL_TOKEN,
            "VERCEL_PROJECT_ID": vercel.project_id,
            "VERCEL_API_URL": vercel.url,
            "AILEX_SITE_URL": site.url,
            "AILEX_STATUSPAGE_VERCEL": status.url,
            "AILEX_DOMAIN": "ailex.invalid",
            "AILEX_PROBE_TIMEOUT": "3",
        },
    }
    for server in (site, vercel, status):
        server.stop()
