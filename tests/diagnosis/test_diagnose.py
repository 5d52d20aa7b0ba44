"""Diagnosis from Slack and the command line, against fakes of every dependency."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg

from bot.diagnosis.scenarios import CHECKS, SCENARIOS, checks_of
from storage import diagnoses, timeline
from tests.fakes.base import FakeServer, Response
from tests.fakes.openai import FakeOpenAI
from tests.fakes.sockets import SilentServer
from tests.fakes.statuspage import FakeStatusPage
from tests.harness import ack, declare, flat, resolve_confirmed


def _run_message(bot, channel):
    """The diagnosis message of the channel (the first message after the card)."""
    posts = [p for p in bot.slack.posts(channel) if "진단" in (p["text"] or "")]
    assert posts, "no diagnosis message"
    return posts[-1]


def test_diagnose_in_incident_channel_fills_one_message_and_records_timeline(
    make_bot, outage_world
):
    bot = make_bot(**outage_world["settings"])
    channel = declare(bot)
    answer = ack(bot.command("diagnose outage", channel=channel))
    assert "진단을 시작" in answer
    bot.settle(timeout=30)
    message = _run_message(bot, channel)
    assert message.get("updates", 0) >= 1  # posted, then filled in with chat.update
    text = flat(message["blocks"])
    for title in ("사이트 응답", "DNS", "Vercel 프로덕션 배포", "Vercel 상태 페이지"):
        assert title in text
    assert "502" in text and "NXDOMAIN" in text
    assert "경우 A" in text and "경우 C" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {"action_id": "ailex.remediate", "value": "rollback"}.items() <= buttons[0].items()

    with bot.store.read() as session:
        events = timeline.for_incident(session, incident_id=1)
    kinds = [e.kind for e in events]
    assert kinds.count("diagnosis") == 1 and kinds.count("diagnosis_result") == 1
    assert events[kinds.index("diagnosis")].data["scenario"] == "outage"
    # The report's 진단 시작 is the first diagnosis. The site still fails, so resolve asks
    # first; confirming resolves.
    asked = resolve_confirmed(bot, "resolve 배포 오류", channel=channel)
    assert "그래도 해결 처리할까요" in asked["text"]
    bot.settle()
    markdown = bot.slack.shared_files()[0]["content"]
    assert "진단 시작 (기록 없음)" not in markdown and "진단 시작: 상황 1" in markdown


def test_diagnose_outside_an_incident_answers_privately_and_records_nothing(make_bot, outage_world):
    bot = make_bot(**outage_world["settings"])
    answer = ack(bot.command("diagnose outage", channel="C_RANDOM"))
    assert "나에게만" in answer
    bot.settle(timeout=30)
    assert not bot.slack.all_posts()
    (response,) = [r for r in bot.slack.responses if "blocks" in r]
    assert response["response_type"] == "ephemeral" and "사이트 응답" in flat(response["blocks"])
    with bot.store.read() as session:
        assert not timeline.for_incident(session, incident_id=1)


def test_unknown_scenario_gets_the_list_of_scenarios(bot):
    answer = ack(bot.command("diagnose everything"))
    assert "outage" in answer and "data-loss" in answer and "triage" in answer


def test_korean_scenario_alias_works(make_bot, outage_world):
    bot = make_bot(**outage_world["settings"])
    assert "상황 1" in ack(bot.command("진단 다운", channel="C_X"))


def test_card_buttons_start_a_diagnosis(make_bot, outage_world):
    bot = make_bot(**outage_world["settings"])
    channel = declare(bot)
    card = bot.slack.posts(channel)[0]["blocks"]
    elements = [e for b in card if b["type"] == "actions" for e in b["elements"]]
    assert any(e.get("value") == "triage" for e in elements)
    menu = next(e for e in elements if e["type"] == "static_select")
    assert {o["value"] for o in menu["options"]} == {s.key for s in SCENARIOS}
    bot.click("ailex.diagnose", "triage", channel=channel)
    bot.settle(timeout=30)
    assert "전체 진단" in flat(_run_message(bot, channel)["blocks"])


def test_scenario_menu_choice_runs_that_scenario(make_bot, outage_world):
    bot = make_bot(**outage_world["settings"])
    channel = declare(bot)
    payload_value = "database"
    response = bot.interactive(
        {
            "type": "block_actions",
            "user": {"id": "U_BOB"},
            "team": {"id": "T1"},
            "channel": {"id": channel},
            "container": {"type": "message", "channel_id": channel, "message_ts": "1.1"},
            "trigger_id": "trig-menu",
            "response_url": bot.slack.response_url("menu"),
            "actions": [
                {
                    "action_id": "ailex.diagnose.select",
                    "block_id": "card.1",
                    "type": "static_select",
                    "selected_option": {
                        "value": payload_value,
                        "text": {"type": "plain_text", "text": "db"},
                    },
                }
            ],
        }
    )
    assert response.status_code == 200
    bot.settle(timeout=30)
    assert "데이터베이스" in flat(_run_message(bot, channel)["blocks"])


def test_a_diagnosis_of_hanging_dependencies_ends_with_timeouts(make_bot):
    with SilentServer() as hanging:
        url = f"http://127.0.0.1:{hanging.port}"
        bot = make_bot(
            AILEX_SITE_URL=url,
            AILEX_STATUSPAGE_VERCEL=url,
            AILEX_STATUSPAGE_SUPABASE=url,
            AILEX_STATUSPAGE_OPENAI=url,
            VERCEL_API_URL=url,
            VERCEL_TOKEN="t",
            VERCEL_PROJECT_ID="p",
            OPENAI_BASE_URL=url,
            OPENAI_API_KEY="sk-test-000000000",
            AILEX_PROBE_TIMEOUT="0.5",
            AILEX_DOMAIN="ailex.invalid",
        )
        ack(bot.command("diagnose triage", channel="C_X"))
        bot.settle(timeout=30)
    with bot.store.read() as session:
        run = diagnoses.get_run(session, run_id=1)
        results = diagnoses.results(session, run_id=1)
    assert run.finished_at is not None and len(results) == len(checks_of("triage"))
    # dns asks for ailex.invalid and github_workflow for a host nobody configured: they fail
    # on their own. Everything else that failed waited on the server that never answers, and
    # was cut off at AILEX_PROBE_TIMEOUT, and says so. (How long a hung diagnosis takes
    # against that timeout is bench/diagnose.py's figure, not a test's.)
    hung = [r for r in results if r.status in ("error", "fail")]
    hung = [r for r in hung if r.check_id not in ("dns", "github_workflow")]
    assert len(hung) >= 6
    timeouts = ("check.http.timeout", "check.timed_out", "check.timed_out_slow")
    not_cut_off = [
        (r.check_id, r.summary)
        for r in hung
        if r.summary["key"] not in timeouts or r.summary["params"].get("seconds") != "0.5"
    ]
    assert not not_cut_off, not_cut_off


def test_every_check_of_the_catalogue_exists_and_every_case_sentence_too():
    from bot.messages import Catalogue

    t = Catalogue("ko")
    for scenario in SCENARIOS:
        assert t.has(f"scenario.{scenario.key}")
        for check in scenario.checks:
            assert check in CHECKS and t.has(f"check_title.{check}")
        for case in scenario.cases:
            assert t.has(case.sentence(scenario.key))
            if case.remediation:
                assert t.has(f"action.{case.remediation}")


def test_case_predicates_only_name_sentences_that_exist():
    import inspect as pyinspect
    import re

    import bot.diagnosis.scenarios as catalogue
    from bot.messages import Catalogue

    t = Catalogue("ko")
    for key in re.findall(r'"(check\.[a-z_]+\.[a-z_]+)"', pyinspect.getsource(catalogue)):
        assert t.has(key), key


# -- the command line ----------------------------------------------------------------------------
def _ailex(args, env, cwd):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_json_has_the_specs_shape_and_exit_status(outage_world, clean_env, tmp_path):
    env = {**clean_env, **outage_world["settings"]}
    result = _ailex(["diagnose", "outage", "--json"], env, tmp_path)
    assert result.returncode == 1, result.stderr  # the site fails
    body = json.loads(result.stdout)
    assert set(body) == {"scenario", "duration_ms", "checks", "suggestions"}
    assert body["scenario"] == "outage" and isinstance(body["duration_ms"], int)
    assert [c["id"] for c in body["checks"]] == list(checks_of("outage"))
    for check in body["checks"]:
        assert set(check) == {"id", "status", "summary", "duration_ms", "data"}
        assert check["status"] in {"ok", "warn", "fail", "error", "skipped"}
    site = next(c for c in body["checks"] if c["id"] == "site")
    assert site["status"] == "fail" and site["data"]["http_status"] == 502
    cases = {(s["case"], s["remediation"]) for s in body["suggestions"]}
    assert ("A", "rollback") in cases and ("C", None) in cases
    assert all(set(s) == {"case", "remediation", "reason"} for s in body["suggestions"])


def test_cli_skipped_check_names_the_missing_setting(clean_env, tmp_path):
    result = _ailex(
        ["diagnose", "openai", "--json"], {**clean_env, "AILEX_PROBE_TIMEOUT": "1"}, tmp_path
    )
    body = json.loads(result.stdout)
    key = next(c for c in body["checks"] if c["id"] == "openai_key")
    assert key["status"] == "skipped" and "OPENAI_API_KEY" in key["summary"]
    # Nothing could decide any case: no all-clear, but what would let it decide.
    (verdict,) = body["suggestions"]
    assert verdict["case"] == "undecided" and "OPENAI_API_KEY" in verdict["reason"]


def test_cli_exit_zero_when_nothing_fails(clean_env, tmp_path):
    with FakeOpenAI() as openai, FakeStatusPage("OpenAI") as status:
        env = {
            **clean_env,
            "OPENAI_BASE_URL": f"{openai.url}/v1",
            "OPENAI_API_KEY": openai.key,
            "AILEX_STATUSPAGE_OPENAI": status.url,
        }
        result = _ailex(["diagnose", "openai"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OpenAI" in result.stdout


def test_cli_bad_scenario_is_usage_error(clean_env, tmp_path):
    result = _ailex(["diagnose", "nope"], clean_env, tmp_path)
    assert result.returncode == 2 and "outage" in result.stderr
    assert _ailex(["diagnose"], clean_env, tmp_path).returncode == 2


def test_data_loss_compares_with_the_last_snapshot(pg_dsn, clean_env, tmp_path):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.documents (id serial primary key, body text)")
        conn.execute("INSERT INTO public.documents (body) SELECT 'x' FROM generate_series(1, 200)")
    env = {**clean_env, "SUPABASE_DB_URL": pg_dsn, "AILEX_BACKUP_DIR": str(tmp_path / "b")}
    first = json.loads(_ailex(["diagnose", "data-loss", "--json"], env, tmp_path).stdout)
    counts = next(c for c in first["checks"] if c["id"] == "table_counts")
    assert counts["status"] == "ok" and counts["data"]["counts"]["documents"] == 200
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM public.documents WHERE id > 20")
    second = _ailex(["diagnose", "data-loss", "--json"], env, tmp_path)
    body = json.loads(second.stdout)
    counts = next(c for c in body["checks"] if c["id"] == "table_counts")
    assert second.returncode == 1 and counts["status"] == "fail"
    remediations = {s["remediation"] for s in body["suggestions"]}
    assert {"maintenance", "backup"} <= remediations


def test_private_data_loss_diagnosis_keeps_showing_a_drop(pg_dsn, clean_env, tmp_path):
    """A diagnosis that saw a drop never becomes the baseline: the second run still fails."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.customers (id serial primary key)")
        conn.execute("INSERT INTO public.customers SELECT FROM generate_series(1, 500)")
    env = {**clean_env, "SUPABASE_DB_URL": pg_dsn, "AILEX_BACKUP_DIR": str(tmp_path / "b")}

    def table_counts() -> dict:
        body = json.loads(_ailex(["diagnose", "data-loss", "--json"], env, tmp_path).stdout)
        return next(c for c in body["checks"] if c["id"] == "table_counts")

    assert table_counts()["status"] == "ok"  # the first snapshot, #1
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM public.customers WHERE id > 50")
    for _ in range(2):
        counts = table_counts()
        assert counts["status"] == "fail", counts
        assert "500→50 (-90%)" in counts["summary"] and "#1" in counts["summary"]
        assert counts["data"]["baseline"]["id"] == 1


def _table_counts_result(bot, run_id: int):
    with bot.store.read() as session:
        return next(
            r for r in diagnoses.results(session, run_id=run_id) if r.check_id == "table_counts"
        )


def test_data_loss_in_an_incident_compares_with_the_snapshot_before_it_began(
    make_bot, pg_dsn, tmp_path
):
    from bot.messages import Catalogue
    from probes.base import Msg
    from tests.harness import FakeClock

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE public.customers (id serial primary key)")
        conn.execute("INSERT INTO public.customers SELECT FROM generate_series(1, 500)")
    clock = FakeClock()  # 2026-11-26 05:00 UTC, 14:00 KST
    bot = make_bot(
        clock=clock,
        SUPABASE_DB_URL=pg_dsn,
        AILEX_SNAPSHOT_INTERVAL_MINUTES="60",
        AILEX_BACKUP_DIR=str(tmp_path / "backups"),
    )
    assert bot.core.snapshot_due()  # scheduled snapshot #1: 500 customers, 14:00 KST
    clock.advance(minutes=20)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM public.customers WHERE id > 50")
    clock.advance(minutes=5)
    channel = declare(bot, "incident start P1 고객 데이터 사라짐")
    t = Catalogue("ko")
    for run_id in (1, 2, 3):
        if run_id == 3:
            # A scheduled snapshot during the incident sees the drop too; it is no baseline.
            clock.advance(minutes=61)
            assert bot.core.snapshot_due()
        clock.advance(minutes=1)
        ack(bot.command("diagnose data-loss", channel=channel))
        bot.settle(timeout=30)
        result = _table_counts_result(bot, run_id)
        assert result.status == "fail", (run_id, result.summary)
        summary = t.render(Msg.model_validate(result.summary))
        assert "customers 500→50 (-90%)" in summary, summary
        assert "정기 스냅샷 #1, 2026-11-26 14:00 KST" in summary, summary
        assert result.data["baseline"]["id"] == 1
        assert "이상 없음" not in flat(_run_message(bot, channel)["blocks"])


def _slow_site(seconds: float) -> FakeServer:
    site = FakeServer().start()
    site.route("*", "/.*")(lambda request, match: Response(200, "slow", delay=seconds))
    return site


def _performance(env, tmp_path) -> tuple[int, dict]:
    result = _ailex(["diagnose", "performance", "--json"], env, tmp_path)
    return result.returncode, json.loads(result.stdout)


def test_performance_of_a_site_slower_than_the_timeout_is_a_failure(clean_env, tmp_path):
    """Scaled down from the issue: no answer within AILEX_PROBE_TIMEOUT is the symptom."""
    site = _slow_site(2.6)
    try:
        env = {**clean_env, "AILEX_SITE_URL": site.url, "AILEX_PROBE_TIMEOUT": "2"}
        code, body = _performance(env, tmp_path)
    finally:
        site.stop()
    timing = next(c for c in body["checks"] if c["id"] == "site_timing")
    assert timing["status"] == "fail", timing
    assert "중단함" not in timing["summary"]
    assert code == 1
    assert "functions" in [s["case"] for s in body["suggestions"]]


def test_performance_of_a_slow_site_at_the_default_timeout_is_a_symptom(clean_env, tmp_path):
    """The issue's own figures: 3.2 s a request, AILEX_PROBE_TIMEOUT 5 (three samples 9.6 s)."""
    site = _slow_site(3.2)
    try:
        code, body = _performance({**clean_env, "AILEX_SITE_URL": site.url}, tmp_path)
    finally:
        site.stop()
    timing = next(c for c in body["checks"] if c["id"] == "site_timing")
    assert timing["status"] == "warn", timing  # 2 s warns; the runbook's 5 s fails
    assert timing["data"]["urls"][0]["samples"] == 3
    assert "3.2" in timing["summary"]
    assert "functions" in [s["case"] for s in body["suggestions"]]
    assert code == 0  # slow but answering: nothing failed


def _openai_diagnosis(mode: str, clean_env, tmp_path, *, key: str | None = None) -> dict:
    with FakeOpenAI() as openai, FakeStatusPage("OpenAI") as status:
        openai.mode = mode
        env = {
            **clean_env,
            "OPENAI_BASE_URL": f"{openai.url}/v1",
            "OPENAI_API_KEY": key or openai.key,
            "AILEX_STATUSPAGE_OPENAI": status.url,
        }
        return json.loads(_ailex(["diagnose", "openai", "--json"], env, tmp_path).stdout)


def test_openai_out_of_credit_offers_billing_and_ai_degraded_not_a_new_key(clean_env, tmp_path):
    body = _openai_diagnosis("quota", clean_env, tmp_path)
    first = body["suggestions"][0]
    assert first["case"] == "B" and first["remediation"] == "ai-degraded"
    assert "https://platform.openai.com/settings/organization/billing" in first["reason"]
    assert "잔액" in first["reason"]
    # A new key from the same organisation fails the same way.
    assert "rotate-openai-key" not in [s["remediation"] for s in body["suggestions"]]


def test_openai_rejected_key_offers_a_new_key(clean_env, tmp_path):
    body = _openai_diagnosis("ok", clean_env, tmp_path, key="sk-wrong-key-0000000000")
    assert [(s["case"], s["remediation"]) for s in body["suggestions"]] == [
        ("B", "rotate-openai-key")
    ]


def test_openai_case_c_is_a_cost_spike_as_the_runbook_says(clean_env, tmp_path):
    body = _openai_diagnosis("rate_limit", clean_env, tmp_path)
    (case_c,) = [s for s in body["suggestions"] if s["case"] == "C"]
    assert "비용 폭증 (비정상적 사용)" in case_c["reason"]
    assert "Hard Limit" in case_c["reason"] and "과다 사용" in case_c["reason"]
    assert "https://platform.openai.com/usage" in case_c["reason"]


def _auth_diagnosis(clean_env, tmp_path, component: str, *, as_json: bool = True):
    with FakeStatusPage("Supabase") as status:
        status.set_component(component, "degraded_performance")
        env = {**clean_env, "AILEX_STATUSPAGE_SUPABASE": status.url}
        args = ["diagnose", "auth", *(["--json"] if as_json else [])]
        return _ailex(args, env, tmp_path)


def test_auth_with_no_auth_settings_cannot_decide_and_names_the_settings(clean_env, tmp_path):
    result = _auth_diagnosis(clean_env, tmp_path, "Storage")
    body = json.loads(result.stdout)
    statuses = {c["id"]: c["status"] for c in body["checks"]}
    assert statuses["supabase_status"] == "warn"
    assert {statuses[c] for c in ("auth_health", "auth_settings", "auth_signin")} == {"skipped"}
    assert "A" not in [s["case"] for s in body["suggestions"]]
    (verdict,) = body["suggestions"]
    assert verdict["case"] == "undecided" and verdict["remediation"] is None
    assert "판단할 수 없습니다" in verdict["reason"]
    for setting in ("SUPABASE_URL", "SUPABASE_ANON_KEY", "AILEX_AUTH_CHECK_EMAIL"):
        assert setting in verdict["reason"]
    assert all(set(s) == {"case", "remediation", "reason"} for s in body["suggestions"])
    # Only skipped checks and a warning: nothing failed (SPEC 3.1's exit status).
    assert result.returncode == 0

    text = _auth_diagnosis(clean_env, tmp_path, "Storage", as_json=False).stdout
    assert "판단할 수 없습니다" in text and "SUPABASE_URL" in text
    assert "런북의 경우에 해당하는 증상이 보이지 않습니다" not in text
    assert "경우 A" not in text


def test_auth_outage_on_the_status_page_is_case_a_even_unconfigured(clean_env, tmp_path):
    body = json.loads(_auth_diagnosis(clean_env, tmp_path, "Auth").stdout)
    assert body["suggestions"][0]["case"] == "A"


def test_undecided_scenario_in_slack_says_so_instead_of_an_all_clear(make_bot):
    with FakeStatusPage("Supabase") as status:
        status.set_component("Storage", "degraded_performance")
        bot = make_bot(AILEX_STATUSPAGE_SUPABASE=status.url, AILEX_PROBE_TIMEOUT="2")
        channel = declare(bot)
        ack(bot.command("diagnose auth", channel=channel))
        bot.settle(timeout=30)
    text = flat(_run_message(bot, channel)["blocks"])
    assert "판단할 수 없습니다" in text and "SUPABASE_ANON_KEY" in text
    assert "런북의 경우에 해당하는 증상이 보이지 않습니다" not in text and "경우 A:" not in text


def _jwt(payload: dict) -> str:
    import base64

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJlLXNlY3JldA"


def test_jwt_form_inspects_a_token_and_never_echoes_it(bot, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    channel = declare(bot)
    bot.click("ailex.jwt", "1", channel=channel, trigger_id="t-jwt")
    bot.settle()
    (opened,) = bot.slack.views
    assert opened["view"]["callback_id"] == "ailex.jwt_modal"
    token = _jwt(
        {
            "iss": "https://x.supabase.co/auth/v1",
            "role": "authenticated",
            "exp": 1,
            "iat": 1764460800,
        }
    )
    response = bot.submit_view(opened["view"], {"secret": token})
    body = response.json()
    assert body["response_action"] == "update"
    shown = json.dumps(body, ensure_ascii=False)
    assert "authenticated" in shown and "만료" in shown
    # Times in the team's zone (KST), never UTC ISO; claim names under Korean labels.
    assert "만료 시각 (`exp`): 1970-01-01 09:00 KST" in shown
    assert "발급 시각 (`iat`): 2025-11-30 09:00 KST" in shown
    assert "+00:00" not in shown and "expires_in_seconds" not in shown
    assert token not in shown and "c2lnbmF0dXJlLXNlY3JldA" not in shown
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in logged
    assert "jwt" not in " ".join(_kinds_of(bot))


def _kinds_of(bot) -> list[str]:
    with bot.store.read() as session:
        return [e.kind for e in timeline.for_incident(session, incident_id=1)]


def test_contacts_lists_the_runbook_table_with_live_status(make_bot):
    with FakeStatusPage("Vercel") as vercel, FakeStatusPage("Supabase") as supabase:
        supabase.indicator = "major"
        supabase.set_component("Database", "major_outage")
        bot = make_bot(
            AILEX_STATUSPAGE_VERCEL=vercel.url,
            AILEX_STATUSPAGE_SUPABASE=supabase.url,
            AILEX_STATUSPAGE_OPENAI="http://127.0.0.1:9",
            AILEX_PROBE_TIMEOUT="2",
        )
        assert "확인" in ack(bot.command("contacts"))
        bot.settle(timeout=30)
    (answer,) = [r for r in bot.slack.responses if "blocks" in r]
    text = flat(answer["blocks"])
    for expected in (
        "Vercel",
        "Supabase",
        "OpenAI",
        "Sentry",
        "Cloudflare R2",
        "도메인 등록",
        "https://vercel.com/support",
        "DB/Auth/Storage 장애",
    ):
        assert expected in text
    assert "🟢" in text and "🔴" in text and "⚪" in text  # ok, outage, unreachable


def _diagnosis_buttons(bot, channel) -> dict[int, list[str]]:
    """The action ids of each diagnosis message's buttons, by run id."""
    found: dict[int, list[str]] = {}
    for post in bot.slack.posts(channel):
        for block in post.get("blocks") or []:
            block_id = str(block.get("block_id", ""))
            if block["type"] == "actions" and block_id.startswith("diagnosis."):
                run_id = int(block_id.split(".")[1])
                found[run_id] = [element["action_id"] for element in block["elements"]]
    return found


def test_the_jwt_form_is_offered_where_the_catalogue_says_auth_and_triage(bot):
    # 상황 4 경우 C (JWT 시크릿 문제) is the scenario's own fact, not a name in the renderer.
    assert [s.key for s in SCENARIOS if s.jwt_inspection] == ["auth"]
    channel = declare(bot)
    for scenario in ("auth", "outage", "triage"):
        ack(bot.command(f"diagnose {scenario}", channel=channel))
        bot.settle(timeout=30)
    with bot.store.read() as session:
        runs = {diagnoses.get_run(session, run_id=n).scenario: n for n in (1, 2, 3)}
    buttons = _diagnosis_buttons(bot, channel)
    assert "ailex.jwt" in buttons[runs["auth"]]
    assert "ailex.jwt" in buttons[runs["triage"]]
    assert "ailex.jwt" not in buttons.get(runs["outage"], [])


def test_only_a_remediation_that_changes_nothing_gets_a_button_that_is_not_red():
    from bot.approvals.catalogue import ACTIONS
    from bot.diagnosis.blocks import judgement
    from bot.diagnosis.flows import Suggestion
    from bot.incidents.vocabulary import EventKind
    from bot.messages import Catalogue
    from probes.base import msg
    from storage.models import DiagnosisRun

    # The backup's special cases are the catalogue's: no approval, a plain button, its event.
    assert [key for key, action in ACTIONS.items() if not action.destructive] == ["backup"]
    assert [key for key, action in ACTIONS.items() if not action.needs_approval] == ["backup"]
    assert ACTIONS["backup"].done_event == EventKind.BACKUP
    customers = {"customer-notice": EventKind.CUSTOMER_NOTIFIED}
    customers["customer-report"] = EventKind.CUSTOMER_REPORT_SENT
    assert {k: ACTIONS[k].done_event for k in customers} == customers
    assert {a.done_event for k, a in ACTIONS.items() if k != "backup" and k not in customers} == {
        EventKind.REMEDIATION_EXECUTED
    }
    suggestions = [
        Suggestion(
            scenario="data-loss",
            case=case,
            remediation=remediation,
            argument=argument,
            offered=True,
            reason=msg(f"case.data-loss.{case}"),
        )
        for case, remediation, argument in (
            ("pause", "maintenance", "on"),
            ("backup", "backup", None),
        )
    ]
    run = DiagnosisRun(
        id=7, scenario="data-loss", suggestions=[s.model_dump() for s in suggestions]
    )
    (_, actions) = judgement(run, Catalogue("ko"))
    styles = {e["value"]: e.get("style") for e in actions["elements"]}
    assert styles == {"maintenance on": "danger", "backup": None}


def test_cases_follow_what_a_check_saw_not_the_wording_of_its_sentence():
    """A case is matched on the finding's data (its `reason`, its counts), so rewording or
    renaming a check's sentence in the catalogue cannot change which case it points to."""
    from bot.diagnosis.flows import suggest
    from probes.base import CheckStatus, Finding, msg

    def openai(summary: str, data: dict) -> list[tuple[str, str | None]]:
        findings = {
            "openai_status": Finding(status=CheckStatus.OK, summary=msg("check.status.ok")),
            "openai_key": Finding(status=CheckStatus.FAIL, summary=msg(summary), data=data),
        }
        return [(s.case, s.remediation) for s in suggest("openai", findings)]

    assert openai("check.openai.reworded", {"reason": "insufficient_quota"}) == [
        ("B", "ai-degraded")
    ]
    assert openai("check.openai.reworded", {"reason": "invalid_key"}) == [
        ("B", "rotate-openai-key")
    ]
    # The sentence alone, without what it stands for, points to no case.
    assert openai("check.openai.quota", {}) == []

    def slow(summary: str, data: dict) -> list[str]:
        finding = Finding(status=CheckStatus.WARN, summary=msg(summary), data=data)
        ok = Finding(status=CheckStatus.OK, summary=msg("check.timing.ok"))
        findings = {"slow_queries": finding, "site_timing": ok, "api_timing": ok}
        return [s.case for s in suggest("performance", findings)]

    assert slow("check.db.reworded", {"statements": [{"mean_ms": 900}], "slow_count": 1}) == [
        "queries"
    ]
    # pg_stat_statements unavailable: the check has no answer, whatever its sentence says.
    assert slow("check.db.reworded", {"enabled": False, "reason": "missing"}) == ["undecided"]
