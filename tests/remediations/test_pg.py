"""The remediations' database helpers keep passwords out of every sentence they build."""

from __future__ import annotations

import pytest

from remediations import pg

SECRET = "s3cr3t p@ss'word"


@pytest.mark.parametrize(
    ("dsn", "where"),
    [
        ("postgresql://app:hunter2@db.internal:6543/postgres", "db.internal:6543/postgres"),
        ("postgres://app:p%40ss%2Fw@db.internal/ailex", "db.internal/ailex"),
        ("host=10.0.0.5 port=5432 dbname=prod user=app password=hunter2", "10.0.0.5:5432/prod"),
        ("dbname=prod", "localhost/prod"),
        ("user=app", "localhost/app"),
    ],
)
def test_describe_names_host_port_and_database_only(dsn: str, where: str) -> None:
    assert pg.describe(dsn) == where


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://app:hunter2@db.internal:5432/postgres",
        "postgresql://app:p%40ss%2Fw@db.internal:5432/postgres",
        "host=db.internal password=hunter2 dbname=postgres",
        "host=db.internal password='two words' dbname=postgres",
    ],
)
def test_redact_removes_the_password_in_every_spelling(dsn: str) -> None:
    secrets = pg.secrets_of(dsn)
    assert secrets
    text = f"failed for {dsn} (password was {secrets[-1]}; again {secrets[0]})"

    redacted = pg.redact(text, dsn)

    for secret in secrets:
        assert secret not in redacted
    assert "***" in redacted


def test_redact_catches_password_shapes_of_other_dsns() -> None:
    text = "tried postgresql://u:other-secret@h/db and password=another-secret"

    redacted = pg.redact(text, "dbname=x")

    assert "other-secret" not in redacted
    assert "another-secret" not in redacted


def test_error_text_is_one_short_line_without_the_password() -> None:
    dsn = "host=h password=hunter2"
    error = RuntimeError("line one hunter2\n\tline two " + "x" * 500)

    text = pg.error_text(error, dsn)

    assert "hunter2" not in text
    assert "\n" not in text and "\t" not in text
    assert len(text) <= pg.ERROR_TEXT_LIMIT
    assert text.endswith("…")


def test_describe_of_an_unreadable_dsn_gives_nothing_away() -> None:
    assert pg.describe(f"host=h password='{SECRET}") == "?"


@pytest.mark.parametrize(
    ("size", "shown"),
    [(0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 kB"), (7 * 1024**2, "7.0 MB")],
)
def test_human_size(size: int, shown: str) -> None:
    assert pg.human_size(size) == shown
