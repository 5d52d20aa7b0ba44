"""The manual backup: a real pg_dump that pg_restore can read, and clean failures."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from probes.base import msg
from remediations import backup
from tests.remediations.helpers import assert_translatable

PASSWORD = "hunter2-not-for-slack"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


# Shell: `write_dump CONTENT "$@"` writes CONTENT to the file named by pg_dump's --file=.
_WRITE_DUMP = """write_dump() {
  content=$1; shift
  for arg in "$@"; do
    case "$arg" in --file=*) printf '%s' "$content" > "${arg#--file=}";; esac
  done
}"""


def _fake_pg_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> Path:
    """Put a shell script named pg_dump first on PATH; return the file it may record into."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    script = bin_dir / "pg_dump"
    record = tmp_path / "record.json"
    script.write_text(f"#!/bin/sh\nRECORD='{record}'\n{_WRITE_DUMP}\n{body}\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return record


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs the PostgreSQL client")
def test_backup_writes_a_custom_dump_pg_restore_can_read(pg_dsn: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.audit_logs (id bigserial, payload text)")
        conn.execute("INSERT INTO public.audit_logs (payload) VALUES ('kept')")
    target_dir = tmp_path / "backups" / "manual"  # does not exist yet

    preview = backup.preview(dsn=pg_dsn, backup_dir=target_dir)
    assert preview.blocked is None
    assert preview.summary.params["path"] == str(target_dir / "ailex-YYYYMMDD-HHMMSS.dump")
    assert preview.summary.params["target"].endswith(pg_dsn.split("dbname=")[1].split()[0])
    outcome = backup.execute(preview, dsn=pg_dsn, now=NOW)

    assert outcome.ok, outcome.summary
    dump = target_dir / "ailex-20250102-030405.dump"
    assert outcome.data["path"] == str(dump)
    assert _files(target_dir) == [dump.name]  # no partial file left over
    assert dump.stat().st_size == outcome.data["bytes"] > 0
    assert outcome.data["duration_s"] >= 0
    listing = subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    )
    assert "TABLE public audit_logs" in listing.stdout
    assert_translatable(preview, outcome)


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs the PostgreSQL client")
def test_backup_never_overwrites_a_backup_of_the_same_second(pg_dsn: str, tmp_path: Path) -> None:
    preview = backup.preview(dsn=pg_dsn, backup_dir=tmp_path)

    first = backup.execute(preview, dsn=pg_dsn, now=NOW)
    second = backup.execute(preview, dsn=pg_dsn, now=NOW)

    assert first.ok and second.ok
    assert Path(first.data["path"]).name == "ailex-20250102-030405.dump"
    assert Path(second.data["path"]).name == "ailex-20250102-030405-1.dump"
    assert _files(tmp_path) == ["ailex-20250102-030405-1.dump", "ailex-20250102-030405.dump"]


def test_backup_file_is_named_in_the_team_time_zone(tmp_path, monkeypatch) -> None:
    _fake_pg_dump(tmp_path, monkeypatch, 'write_dump PGDMPfake "$@"')
    dsn = "postgresql://backup_user@db.example.internal:6543/postgres"
    preview = backup.preview(dsn=dsn, backup_dir=tmp_path / "out")
    outcome = backup.execute(preview, dsn=dsn, now=NOW, tz=ZoneInfo("Asia/Seoul"))
    assert outcome.ok, outcome.summary
    assert Path(outcome.data["path"]).name == "ailex-20250102-120405.dump"  # 03:04:05 UTC


def test_the_backup_action_names_its_file_in_ailex_timezone(tmp_path, monkeypatch) -> None:
    from bot.approvals.catalogue import ACTIONS
    from bot.settings import load_settings

    _fake_pg_dump(tmp_path, monkeypatch, 'write_dump PGDMPfake "$@"')
    monkeypatch.setenv("SUPABASE_DB_URL", "postgresql://backup_user@db.example.internal/postgres")
    monkeypatch.setenv("AILEX_BACKUP_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("AILEX_TIMEZONE", "Asia/Tokyo")
    settings = load_settings()
    action = ACTIONS["backup"]
    preview = action.preview(settings, None, NOW)
    before = datetime.now(UTC)
    outcome = action.execute(preview, settings, {})
    assert outcome.ok, outcome.summary
    name = Path(outcome.data["path"]).name
    stamp = datetime.strptime(name, "ailex-%Y%m%d-%H%M%S.dump").replace(
        tzinfo=ZoneInfo("Asia/Tokyo")
    )
    assert abs(stamp - before) < timedelta(minutes=5)


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs the PostgreSQL client")
def test_backup_of_a_refused_port_fails_without_the_password(tmp_path: Path) -> None:
    dsn = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/product"
    preview = backup.preview(dsn=dsn, backup_dir=tmp_path)
    assert preview.summary.params["target"] == "127.0.0.1:1/product"

    outcome = backup.execute(preview, dsn=dsn, now=NOW)

    assert not outcome.ok
    assert outcome.summary.key == "backup.failed"
    assert "refused" in outcome.summary.params["error"].lower()
    assert PASSWORD not in preview.model_dump_json() + outcome.model_dump_json()
    assert _files(tmp_path) == []
    assert_translatable(outcome)


def test_backup_gives_pg_dump_the_password_only_in_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _fake_pg_dump(
        tmp_path,
        monkeypatch,
        'python3 -c \'import json, os, sys; json.dump({"argv": sys.argv[1:], '
        '"password": os.environ.get("PGPASSWORD")}, open(sys.argv[1], "w"))\' "$RECORD" "$@"\n'
        'write_dump PGDMPfake "$@"',
    )
    dsn = f"postgresql://backup_user:{PASSWORD}@db.example.internal:6543/postgres?sslmode=require"
    preview = backup.preview(dsn=dsn, backup_dir=tmp_path / "out")

    outcome = backup.execute(preview, dsn=dsn, now=NOW)

    assert outcome.ok, outcome.summary
    seen = json.loads(record.read_text())
    argv = seen["argv"][1:]  # after the record path the script passes first
    assert seen["password"] == PASSWORD
    assert not any(PASSWORD in arg for arg in argv)
    assert "--format=custom" in argv
    conninfo = psycopg.conninfo.conninfo_to_dict(
        next(arg for arg in argv if arg.startswith("--dbname=")).removeprefix("--dbname=")
    )
    assert conninfo["host"] == "db.example.internal"
    assert conninfo["sslmode"] == "require"
    assert conninfo["application_name"] == "ailex-incident-bot"
    assert "password" not in conninfo


def test_backup_deletes_the_half_written_file_on_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pg_dump(
        tmp_path,
        monkeypatch,
        'write_dump PGDMPhalf "$@"\nsleep 30',
    )
    out = tmp_path / "out"
    preview = backup.preview(dsn="host=127.0.0.1 dbname=product", backup_dir=out)

    outcome = backup.execute(preview, dsn="host=127.0.0.1 dbname=product", now=NOW, timeout_s=0.5)

    assert not outcome.ok
    assert outcome.summary.key == "backup.timeout"
    assert _files(out) == []
    assert_translatable(outcome)


def test_backup_failure_quotes_pg_dump_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pg_dump(
        tmp_path,
        monkeypatch,
        'write_dump PGDMP "$@"\n'
        'echo "pg_dump: error: auth failed for password=$PGPASSWORD" >&2\n'
        "exit 1",
    )
    dsn = f"host=127.0.0.1 dbname=product user=app password={PASSWORD}"
    out = tmp_path / "out"

    outcome = backup.execute(backup.preview(dsn=dsn, backup_dir=out), dsn=dsn, now=NOW)

    assert not outcome.ok
    assert outcome.summary.params["error"] == "pg_dump: error: auth failed for password=***"
    assert PASSWORD not in outcome.model_dump_json()
    assert _files(out) == []


def test_backup_rejects_a_file_that_is_not_a_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_pg_dump(tmp_path, monkeypatch, "exit 0")  # claims success, writes nothing
    out = tmp_path / "out"

    outcome = backup.execute(
        backup.preview(dsn="dbname=product", backup_dir=out), dsn="dbname=product"
    )

    assert not outcome.ok
    assert outcome.summary.key == "backup.incomplete"
    assert _files(out) == []


def test_backup_without_pg_dump_on_path_is_blocked_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    preview = backup.preview(dsn="dbname=product", backup_dir=tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    assert backup.preview(dsn="dbname=product", backup_dir=tmp_path).blocked == msg(
        "backup.no_pg_dump"
    )
    outcome = backup.execute(preview, dsn="dbname=product")
    assert not outcome.ok
    assert outcome.summary.key == "backup.no_pg_dump"


def test_backup_into_an_unwritable_place_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    preview = backup.preview(dsn="dbname=product", backup_dir=blocker / "backups")

    outcome = backup.execute(preview, dsn="dbname=product")

    assert not outcome.ok
    assert outcome.summary.key == "backup.dir_failed"


def test_backup_of_an_unreadable_dsn_is_blocked_without_the_password(tmp_path: Path) -> None:
    dsn = f"host=127.0.0.1 password={PASSWORD} port='unterminated"

    preview = backup.preview(dsn=dsn, backup_dir=tmp_path)

    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.bad_dsn"
    assert PASSWORD not in preview.model_dump_json()
