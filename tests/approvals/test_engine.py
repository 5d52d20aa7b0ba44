"""The approval engine over signed HTTP, on real PostgreSQL: SPEC 3.4 end to end."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from bot.approvals.engine import executor_id
from storage import approvals
from tests.approvals.helpers import _kinds, _refusals, _request, _request_message
from tests.harness import BotHarness, FakeClock, ack, declare, flat


@pytest.fixture
def idle_backends(pg_dsn):
    """Three idle connections to the product database, one busy and one idle-in-transaction."""
    idle = [psycopg.connect(pg_dsn, autocommit=True, application_name="app") for _ in range(3)]
    for conn in idle:
        conn.execute("SELECT 1")
    in_tx = psycopg.connect(pg_dsn, application_name="app-tx")
    in_tx.execute("SELECT 1")  # opens a transaction and leaves it open
    busy = psycopg.connect(pg_dsn, autocommit=True, application_name="app-busy")

    def sleep() -> None:
        with contextlib.suppress(psycopg.Error):  # closed at teardown
            busy.execute("SELECT pg_sleep(8)")

    worker = threading.Thread(target=sleep, daemon=True)
    worker.start()
    time.sleep(1.2)  # their idle age passes AILEX_IDLE_MINUTES=0.01
    yield {"idle": idle, "in_tx": in_tx, "busy": busy, "dsn": pg_dsn}
    for conn in [*idle, in_tx, busy]:
        with contextlib.suppress(Exception):
            conn.close()


def _alive(conn) -> bool:
    """Whether the backend still exists, seen from another connection (asking the connection
    itself would make it active, and so no longer the idle backend that was previewed)."""
    dsn = psycopg.conninfo.make_conninfo(conn.info.dsn)
    with psycopg.connect(dsn, autocommit=True) as other:
        row = other.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (conn.info.backend_pid,)
        ).fetchone()
    return bool(row and row[0])


@pytest.fixture
def db_bot(make_bot, pg_dsn, pg_store_url):
    """A bot whose own store and product database are both real PostgreSQL."""

    def build(**settings):
        values = {"SUPABASE_DB_URL": pg_dsn, "AILEX_IDLE_MINUTES": "0.01"}
        values.update(settings)
        return make_bot(store_url=pg_store_url, **values)

    return build


def test_remediate_outside_an_incident_channel_is_refused(bot):
    answer = ack(bot.command("remediate backup", channel="C_RANDOM"))
    assert "이 채널에는 장애가 없습니다" in answer


def test_unknown_action_lists_the_actions(bot):
    channel = declare(bot)
    answer = ack(bot.command("remediate reboot-everything", channel=channel))
    assert "rollback" in answer and "kill-idle-connections" in answer and "backup" in answer


@pytest.mark.parametrize(
    ("command", "missing"),
    [
        ("remediate kill-idle-connections", "SUPABASE_DB_URL"),
        ("remediate backup", "SUPABASE_DB_URL"),
        ("remediate rollback", "VERCEL_TOKEN, VERCEL_PROJECT_ID"),
        ("remediate maintenance on", "VERCEL_TOKEN, AILEX_EDGE_CONFIG_ID"),
    ],
)
def test_unconfigured_action_names_the_missing_setting_at_once(bot, command, missing):
    channel = declare(bot)
    answer = ack(bot.command(command, channel=channel))
    assert missing in answer
    bot.settle()
    assert "remediation_requested" not in _kinds(bot)


def test_kill_waits_for_a_second_person_and_kills_only_idle_backends(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    answer = ack(bot.command("remediate kill-idle-connections", channel=channel, user="U_ALICE"))
    assert "미리" in answer
    bot.settle()
    message = _request_message(bot, channel)
    preview = flat(message["blocks"])
    for conn in idle_backends["idle"]:
        assert str(conn.info.backend_pid) in preview
    assert str(idle_backends["busy"].info.backend_pid) not in preview
    assert "ailex.approve" in preview and "ailex.deny" in preview
    # Nothing has happened yet.
    assert all(_alive(conn) for conn in idle_backends["idle"])

    # The requester cannot approve their own request.
    bot.click("ailex.approve", "1", user="U_ALICE", channel=channel)
    bot.settle()
    assert any("요청한 사람은 직접 승인할 수 없습니다" in t for t in _refusals(bot))
    assert _request(bot).state == "pending"
    assert all(_alive(conn) for conn in idle_backends["idle"])

    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    request = _request(bot)
    assert request.state == "succeeded" and request.decided_by == "U_BOB"
    assert not any(_alive(conn) for conn in idle_backends["idle"])
    assert _alive(idle_backends["in_tx"]) and _alive(idle_backends["busy"])
    assert [k for k in _kinds(bot) if k.startswith("remediation")] == [
        "remediation_requested",
        "remediation_refused",
        "remediation_approved",
        "remediation_executed",
    ]
    final = flat(_request_message(bot, channel)["blocks"])
    assert "ailex.approve" not in final and "U_BOB" in final
    # 조치 내용 of the report names what was done.
    ack(bot.command("resolve 유휴 연결 폭증", channel=channel))
    bot.settle()
    markdown = bot.slack.shared_files()[0]["content"]
    assert "조치 실행 #1" in markdown and "조치 실행 (기록 없음)" not in markdown


def test_only_listed_approvers_may_approve(db_bot, idle_backends):
    bot = db_bot(AILEX_APPROVERS="UCAROL")
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle()
    assert any("승인 권한이 없습니다" in t and "UCAROL" in t for t in _refusals(bot))
    assert _request(bot).state == "pending"
    assert "remediation_refused" in _kinds(bot)
    bot.click("ailex.approve", "1", user="UCAROL", channel=channel)
    bot.settle(timeout=30)
    assert _request(bot).state == "succeeded"


def test_self_approval_when_allowed(db_bot, idle_backends):
    bot = db_bot(AILEX_ALLOW_SELF_APPROVAL="true")
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel, user="U_ALICE"))
    bot.settle()
    bot.click("ailex.approve", "1", user="U_ALICE", channel=channel)
    bot.settle(timeout=30)
    assert _request(bot).state == "succeeded"


def test_expired_request_cannot_be_approved(make_bot, pg_dsn, pg_store_url, idle_backends):
    clock = FakeClock()
    bot = make_bot(
        store_url=pg_store_url,
        clock=clock,
        SUPABASE_DB_URL=pg_dsn,
        AILEX_IDLE_MINUTES="0.01",
        AILEX_APPROVAL_TTL_MINUTES="15",
    )
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    clock.advance(minutes=16)
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle()
    assert _request(bot).state == "expired"
    assert any("만료" in t for t in _refusals(bot))
    assert all(_alive(conn) for conn in idle_backends["idle"])
    assert "remediation_expired" in _kinds(bot)
    assert "만료" in flat(_request_message(bot, channel)["blocks"])


def test_housekeeping_expires_requests_nobody_answered(
    make_bot, pg_dsn, pg_store_url, idle_backends
):
    clock = FakeClock()
    bot = make_bot(
        store_url=pg_store_url, clock=clock, SUPABASE_DB_URL=pg_dsn, AILEX_IDLE_MINUTES="0.01"
    )
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    assert bot.core.approvals.expire_due() == 0
    clock.advance(minutes=15, seconds=1)
    assert bot.core.approvals.expire_due() == 1
    assert _request(bot).state == "expired"


def test_denial_is_final(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    bot.click("ailex.deny", "1", user="U_BOB", channel=channel)
    bot.settle()
    assert _request(bot).state == "denied"
    bot.click("ailex.approve", "1", user="U_CAROL", channel=channel)
    bot.settle()
    assert _request(bot).state == "denied"
    assert any("이미 거절" in t for t in _refusals(bot))
    assert all(_alive(conn) for conn in idle_backends["idle"])
    assert "거절" in flat(_request_message(bot, channel)["blocks"])


def test_many_approvers_clicking_at_once_execute_it_once(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    barrier = threading.Barrier(10)

    def click(n: int) -> None:
        barrier.wait()
        bot.click("ailex.approve", "1", user=f"U_APPROVER{n}", channel=channel)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.settle(timeout=30)
    kinds = _kinds(bot)
    assert kinds.count("remediation_approved") == 1
    assert kinds.count("remediation_executed") == 1
    assert _request(bot).state == "succeeded"


def test_a_click_delivered_twice_is_one_click(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    for _ in range(3):
        bot.click("ailex.approve", "1", user="U_BOB", channel=channel, trigger_id="same-click")
    bot.settle(timeout=30)
    kinds = _kinds(bot)
    assert kinds.count("remediation_approved") == 1 and "remediation_refused" not in kinds


def test_two_bot_instances_on_one_database_execute_once(pg_dsn, pg_store_url, idle_backends):
    settings = {"SUPABASE_DB_URL": pg_dsn, "AILEX_IDLE_MINUTES": "0.01"}
    first = BotHarness(store_url=pg_store_url, **settings)
    second = BotHarness(store_url=pg_store_url, slack=first.slack, **settings)
    try:
        channel = declare(first)
        ack(first.command("remediate kill-idle-connections", channel=channel))
        first.settle()
        barrier = threading.Barrier(8)

        def click(replica: BotHarness, n: int) -> None:
            barrier.wait()
            replica.click("ailex.approve", "1", user=f"U_APPROVER{n}", channel=channel)

        threads = [
            threading.Thread(target=click, args=(replica, n))
            for n, replica in enumerate([first, second] * 4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        first.settle(timeout=30)
        second.settle(timeout=30)
        kinds = _kinds(first)
        assert kinds.count("remediation_approved") == 1
        assert kinds.count("remediation_executed") == 1
    finally:
        second.close()
        first.close()


def test_purge_deletes_only_what_the_preview_counted(db_bot, pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.audit_logs (id bigserial primary key, created_at timestamptz,"
            " payload text)"
        )
        conn.execute(
            "INSERT INTO public.audit_logs (created_at, payload)"
            " SELECT now() - interval '120 days', 'old' FROM generate_series(1, 50)"
        )
        conn.execute(
            "INSERT INTO public.audit_logs (created_at, payload) SELECT now() - interval '5 days',"
            " 'new' FROM generate_series(1, 30)"
        )
    bot = db_bot()
    channel = declare(bot)
    ack(bot.command("remediate purge-audit-logs", channel=channel))
    bot.settle()
    preview = flat(_request_message(bot, channel)["blocks"])
    assert "50" in preview
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO public.audit_logs (created_at, payload)"
            " SELECT now() - interval '200 days', 'late' FROM generate_series(1, 7)"
        )
    bot.click("ailex.approve", "1", user="U_BOB", channel=channel)
    bot.settle(timeout=30)
    assert _request(bot).state == "succeeded"
    with psycopg.connect(pg_dsn) as conn:
        left = dict(conn.execute("SELECT payload, count(*) FROM audit_logs GROUP BY 1").fetchall())
    assert left == {"new": 30, "late": 7}


def test_backup_runs_without_approval_and_is_recorded(db_bot, tmp_path):
    bot = db_bot(AILEX_BACKUP_DIR=str(tmp_path / "backups"))
    channel = declare(bot)
    answer = ack(bot.command("remediate backup", channel=channel))
    assert "승인 없이" in answer
    bot.settle(timeout=60)
    files = list((tmp_path / "backups").glob("ailex-*.dump"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert "backup" in _kinds(bot) and "remediation_approved" not in _kinds(bot)
    message = flat(_request_message(bot, channel)["blocks"])
    assert "ailex.approve" not in message


def test_execution_cut_off_by_a_crash_is_marked_interrupted_and_not_rerun(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    # A process that approved it and died mid-execution.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = executor_id().rsplit(":", 1)[0]
    with bot.store.write() as session:
        assert approvals.transition(
            session,
            request_id=1,
            from_state="pending",
            to_state="executing",
            decided_by="U_BOB",
            executor=f"{host}:{dead.pid}",
            heartbeat_at=bot.core.clock(),
        )
    assert bot.core.approvals.recover() == 1
    bot.settle()
    assert _request(bot).state == "interrupted"
    assert "remediation_interrupted" in _kinds(bot)
    assert "중단" in flat(_request_message(bot, channel)["blocks"])
    # It is never run again, by itself or by a click.
    bot.click("ailex.approve", "1", user="U_CAROL", channel=channel)
    bot.settle()
    assert _request(bot).state == "interrupted"
    assert all(_alive(conn) for conn in idle_backends["idle"])


def test_a_live_execution_of_another_replica_is_left_alone(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    with bot.store.write() as session:
        approvals.transition(
            session,
            request_id=1,
            from_state="pending",
            to_state="executing",
            executor="other-host:1234",
            heartbeat_at=bot.core.clock(),
        )
    assert bot.core.approvals.recover() == 0
    assert _request(bot).state == "executing"


def test_nothing_to_kill_is_said_plainly(db_bot):
    bot = db_bot(AILEX_IDLE_MINUTES="600")
    channel = declare(bot)
    ack(bot.command("remediate kill-idle-connections", channel=channel))
    bot.settle()
    assert _refusals(bot) and "요청하지 않았습니다" in _refusals(bot)[-1]
    assert "remediation_requested" not in _kinds(bot)


def test_remediate_button_from_a_diagnosis_asks_the_same(db_bot, idle_backends):
    bot = db_bot()
    channel = declare(bot)
    bot.click("ailex.remediate", "kill-idle-connections", channel=channel)
    bot.settle()
    assert _request(bot).action == "kill-idle-connections"
