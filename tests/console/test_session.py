"""`ailex console` run as a person would: a subprocess, a fresh directory, a scripted drill."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

AILEX = Path(sys.executable).with_name("ailex")
CHANNEL = re.compile(r"#(inc-\d{8}-[\w-]+)")


@dataclass
class Run:
    status: int
    out: str
    err: str

    def assert_clean(self) -> None:
        assert self.status == 0, self.err
        assert "Traceback" not in self.out and "Traceback" not in self.err, self.err
        assert "ERROR" not in self.err, self.err

    def after(self, marker: str) -> str:
        """What was printed after the line that typed `marker`."""
        return self.out[self.out.index(f"› {marker}") :]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def fresh_env(home: Path, **settings: str) -> dict[str, str]:
    """A machine with no configuration: no SLACK_* or other settings, no USER."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TMPDIR": str(home)}
    env.update(settings)
    return env


def ailex(*args: str) -> list[str]:
    """The `ailex` console script, or the module behind it where the script is not installed."""
    command = [str(AILEX)] if AILEX.exists() else [sys.executable, "-m", "bot.cli"]
    return [*command, *args]


def console(workdir: Path, drill: str, **settings: str) -> Run:
    """Run `ailex console < drill` in `workdir` and collect what it printed."""
    done = subprocess.run(
        ailex("console"),
        input=drill,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=workdir,
        env=fresh_env(workdir, **settings),
        timeout=90,
    )
    return Run(done.returncode, done.stdout, done.stderr)


DRILL = """\
# 결제 장애 훈련
/help
/ailex incident start P1 결제 API 다운
/ailex note DB 커넥션 의심
/ailex severity P2
/ailex status
/ailex incident
/ailex severity P9
1
DB 커넥션 풀 고갈
결제 30%% 실패

풀 크기 상향
커넥션 모니터링 알림

/ailex incident list
"""


def test_a_scripted_drill_runs_an_incident_from_start_to_report(workdir: Path):
    run = console(workdir, DRILL.replace("%%", "%"))
    run.assert_clean()
    out = run.out

    assert "콘솔 사용법" in out and "/as <이름>" in out

    # Declaring opens the incident channel, moves there, and posts the card with its button.
    match = CHANNEL.search(out)
    assert match is not None
    channel = match.group(1)
    declared = run.after("/ailex incident start")
    assert declared.index("(나만 보임)") < declared.index("이동했습니다")
    assert declared.index("이동했습니다") < declared.index("🔴 P1 · 장애 #1")
    assert f"→ #{channel} 채널에 초대되어 이동했습니다." in declared
    assert f"#{channel} · AILEX\n  🔴 P1 · 장애 #1" in declared
    assert "[1] 해결" in declared
    assert f"#{channel} @oncall › /ailex note DB 커넥션 의심" in out

    noted = run.after("/ailex note")
    assert "📝 @oncall: DB 커넥션 의심" in noted

    changed = run.after("/ailex severity P2")
    assert "P1 → P2" in changed
    assert f"#{channel} · AILEX (수정됨)\n  🟠 P2 · 장애 #1" in changed

    status = run.after("/ailex status")
    assert f"#{channel} · AILEX (나만 보임)\n  🟠 P2 · 장애 #1" in status

    # Malformed commands get the usage, not a stack trace.
    assert "사용법:" in run.after("/ailex incident\n")
    assert "`P9`" in run.after("/ailex severity P9")

    # Pressing the card's button [1] opens the form; the next lines fill it in.
    resolved = run.after("1\n")
    assert "▶ [1] 해결" in resolved
    assert "📝 입력 양식: 장애 해결" in resolved
    assert "  원인: DB 커넥션 풀 고갈" in resolved
    assert "✓ 장애 해결: 제출했습니다." in resolved
    assert "✅ P2 · 장애 #1" in resolved
    report = resolved[resolved.index("📄 장애 보고서 #1") :]
    headings = ("발생일시", "복구일시", "영향 시간", "영향 범위", "타임라인", "원인", "조치 내용")
    for heading in (*headings, "재발 방지 대책"):
        assert heading in report, heading
    assert "DB 커넥션 풀 고갈" in report and "결제 30% 실패" in report
    assert "풀 크기 상향" in report and "커넥션 모니터링 알림" in report
    assert re.search(r"📎 장애 보고서 #1 · \S+\.md \(\d+(\.\d)? (B|KB)\)", report)

    assert "진행 중인 장애가 없습니다." in run.after("/ailex incident list")
    assert out.rstrip().endswith("콘솔을 마칩니다.")


def test_state_persists_from_one_run_to_the_next(workdir: Path):
    first = console(workdir, "/ailex incident start P2 로그인 실패\n/ailex note 세션 만료 의심\n")
    first.assert_clean()
    channel = CHANNEL.search(first.out)
    assert channel is not None

    second = console(
        workdir,
        f"/ailex incident list\n/channels\n/join #{channel.group(1)}\n/ailex note 이어서 조사\n"
        "/ailex status\n",
    )
    second.assert_clean()
    listed = second.after("/ailex incident list")
    assert "진행 중인 장애 1건" in listed and "로그인 실패" in listed
    assert f"#{channel.group(1)}" in listed  # the channel link reads as its name
    assert f"→ #{channel.group(1)} 채널로 이동했습니다." in second.out
    assert "📝 @oncall: 이어서 조사" in second.out
    assert "🟠 P2 · 장애 #1" in second.after("/ailex status")

    done = subprocess.run(
        ailex("incidents", "--json"),
        capture_output=True,
        text=True,
        cwd=workdir,
        env=fresh_env(workdir),
        timeout=60,
    )
    incidents = json.loads(done.stdout)
    assert [(i["id"], i["title"], i["status"]) for i in incidents] == [
        (1, "로그인 실패", "investigating")
    ]


def test_english_locale_gives_english_markers(workdir: Path):
    run = console(
        workdir,
        "/help\n/ailex incident start P1 checkout down\n/ailex severity P3\n",
        AILEX_LOCALE="en",
    )
    run.assert_clean()
    assert "Console help" in run.out
    assert "(only visible to you)" in run.out
    assert "→ Invited to #inc-" in run.out
    assert "(edited)\n  🟡 P3 · Incident #1" in run.out
    assert "나만 보임" not in run.out and "수정됨" not in run.out


def test_bad_lines_get_a_hint_and_never_end_the_session(workdir: Path):
    run = console(
        workdir,
        "hello\n/bogus\n99\n/press x\n/ailex\n/ailex 🙃 <b>&amp;\n/join Bad Name!\n"
        "/join 결제-장애\n\n   \n"
        "/ailex incident start P3 느린 대시보드\n",
    )
    run.assert_clean()
    assert "봇 명령은 /ailex 로 시작합니다" in run.after("hello")
    assert "/bogus은(는) 콘솔 명령이 아닙니다" in run.out
    assert "[99] 버튼이 없습니다." in run.out
    assert "사용법: /press <N>" in run.out
    assert "AILEX 장애 대응 봇 사용법" in run.after("/ailex\n")
    assert "모르는 명령입니다: `🙃`." in run.out
    assert "채널 이름은" in run.after("/join Bad Name!")
    # Slack's rule, kept once: lowercase letters of any script make a channel name.
    assert "#결제-장애 채널을 만들고 이동했습니다." in run.after("/join 결제-장애")
    assert run.out.count("채널 이름은") == 1
    assert "🟡 P3 · 장애 #1" in run.after("/ailex incident start")


def test_a_required_field_left_empty_twice_closes_the_form(workdir: Path):
    run = console(workdir, "/ailex incident start 검색 오류\n/ailex resolve\n\n\n/ailex status\n")
    run.assert_clean()
    form = run.after("/ailex resolve")
    assert form.count("원인: 꼭 적어야 하는 항목입니다.") == 1
    assert "입력 양식을 닫았습니다." in form
    assert "상태: 조사 중" in run.after("/ailex status")


def test_end_of_input_inside_a_form_ends_cleanly(workdir: Path):
    run = console(workdir, "/ailex incident start 검색 오류\n/ailex resolve\n")
    run.assert_clean()
    assert "입력 양식을 닫았습니다." in run.out


def test_as_switches_who_acts_and_cards_stay_in_general_without_incident_channels(
    workdir: Path,
):
    run = console(
        workdir,
        "/as bob\n/ailex incident start P2 알림 지연\n/ailex note 큐 적체\n/channels\n",
        AILEX_INCIDENT_CHANNELS="false",
    )
    run.assert_clean()
    assert "@bob(UBOB)" in run.out
    assert "#general · AILEX\n  🟠 P2 · 장애 #1" in run.out
    assert "지휘자: @bob" in run.out
    assert "📝 @bob: 큐 적체" in run.out
    assert "채널 1개" in run.after("/channels")


def test_a_note_mentioning_payload_is_kept_in_the_console(workdir: Path):
    """Issue 7, item 15: the console hands Bolt its form parsed as a form, too."""
    run = console(
        workdir,
        "/ailex incident start P2 웹훅 오류\n/ailex note webhook payload 413\n/ailex report\n",
    )
    run.assert_clean()
    assert "📝 @oncall: webhook payload 413" in run.after("/ailex note")


def test_log_warnings_never_interleave_with_the_conversation(workdir: Path) -> None:
    from tests.fakes.base import Response
    from tests.fakes.vercel import TOKEN, FakeVercel

    with FakeVercel(team_id="team_ailex") as vercel:
        # The flag reads back off after it was written on: the bot logs a warning.
        vercel.fail(
            "GET",
            r"/v1/edge-config/.*/item/maintenance",
            Response(200, {"key": "maintenance", "value": False, "edgeConfigId": "x"}),
            times=5,
        )
        run = console(
            workdir,
            "/ailex incident start P1 결제 다운\n/ailex remediate maintenance on\n"
            "/as bob\n10\n/ailex note 다음\n",
            VERCEL_API_URL=vercel.url,
            VERCEL_TOKEN=TOKEN,
            VERCEL_TEAM_ID=vercel.team_id,
            AILEX_EDGE_CONFIG_ID=vercel.edge_config_id,
        )
    run.assert_clean()
    assert run.err == ""  # nothing from the logging machinery on the terminal
    assert "WARNING" not in run.out
    log_file = workdir / "ailex-console.log"
    assert f"⚠️ 로그 파일에 기록한 경고: 1건 ({log_file})" in run.out
    # Said between lines, before the next prompt, not inside a message.
    assert run.out.index("로그 파일에 기록한 경고") < run.out.index("› /ailex note 다음")
    assert "edge flag maintenance written as on but read back off" in log_file.read_text()
