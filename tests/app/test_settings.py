"""Settings: SPEC 3.2's variables, and one clear line for a bad or missing one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_need_no_configuration():
    settings = load_settings()
    assert settings.database_url == "sqlite:///ailex.db"
    assert settings.locale == "ko" and settings.timezone == "Asia/Seoul"
    assert settings.incident_channels is True and settings.approvers == []
    assert settings.approval_ttl_minutes == 15 and settings.probe_timeout == 5
    assert settings.api_paths == ["/api/v1/dashboard/summary"]
    assert settings.github_repository == "cheesom-max/AILEX"


def test_lists_are_comma_separated(monkeypatch):
    monkeypatch.setenv("AILEX_APPROVERS", "U01ABC, W02DEF")
    monkeypatch.setenv("AILEX_API_PATHS", "/a,/b/c")
    monkeypatch.setenv("AILEX_DNS_NAMESERVERS", "127.0.0.1:5353,8.8.8.8")
    settings = load_settings()
    assert settings.approvers == ["U01ABC", "W02DEF"]
    assert settings.api_paths == ["/a", "/b/c"]
    assert settings.dns_nameservers == ["127.0.0.1:5353", "8.8.8.8"]


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("AILEX_LOCALE=en\nAILEX_IDLE_MINUTES=0.5\nVERCEL_TOKEN=\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.locale == "en" and settings.idle_minutes == 0.5
    assert settings.vercel_token is None  # an empty value means "not set"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("AILEX_LOCALE", "fr"),
        ("AILEX_TIMEZONE", "Mars/Olympus"),
        ("AILEX_INCIDENT_CHANNELS", "maybe"),
        ("AILEX_APPROVERS", "alice"),
        ("AILEX_APPROVAL_TTL_MINUTES", "-1"),
        ("AILEX_PROBE_TIMEOUT", "soon"),
        ("AILEX_SITE_URL", "ailex.app"),
        ("AILEX_API_PATHS", "api/v1"),
        ("AILEX_DNS_NAMESERVERS", "1.1.1.1:70000"),
        ("AILEX_DATABASE_URL", "not a url"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-wrong-kind"),
        ("AILEX_AUDIT_RETENTION_DAYS", "0"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.variable == variable


def _ailex(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


_PYDANTIC_ENGLISH = ("Input should", "Value error", "valid", "must be", "Traceback")


def test_bad_setting_stops_start_up_with_one_line(tmp_path, clean_env):
    result = _ailex("serve", env={**clean_env, "AILEX_LOCALE": "fr"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["ailex: AILEX_LOCALE 값이 잘못되었습니다: 다음 중 하나여야 합니다: ko, en"]


def test_every_bad_setting_is_named_at_once_in_korean(tmp_path, clean_env):
    env = {
        **clean_env,
        "AILEX_PROBE_TIMEOUT": "soon",
        "AILEX_SITE_URL": "ailex.app",
        "AILEX_APPROVAL_TTL_MINUTES": "-1",
    }
    result = _ailex("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "ailex: AILEX_APPROVAL_TTL_MINUTES 값이 잘못되었습니다: 0보다 큰 수여야 합니다",
        "ailex: AILEX_PROBE_TIMEOUT 값이 잘못되었습니다: 숫자여야 합니다",
        "ailex: AILEX_SITE_URL 값이 잘못되었습니다: "
        "`http://` 또는 `https://`로 시작하는 주소여야 합니다",
    ]
    assert not any(word in result.stderr for word in _PYDANTIC_ENGLISH)


def test_bad_settings_in_english_with_the_english_locale(tmp_path, clean_env):
    env = {**clean_env, "AILEX_LOCALE": "en", "AILEX_INCIDENT_CHANNELS": "maybe"}
    env["AILEX_TIMEZONE"] = "Mars/Olympus"
    result = _ailex("incidents", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ailex: AILEX_TIMEZONE is invalid: must be a time zone name (e.g. `Asia/Seoul`)",
        "ailex: AILEX_INCIDENT_CHANNELS is invalid: must be true or false "
        "(`true`, `false`, `1`, `0`)",
    ]
    # A bad locale cannot choose the language: Korean, the default.
    result = _ailex("incidents", env={**env, "AILEX_LOCALE": "fr"}, cwd=tmp_path)
    assert "AILEX_LOCALE 값이 잘못되었습니다" in result.stderr


def test_locale_from_the_dotenv_file_chooses_the_language_of_setting_errors(tmp_path, clean_env):
    (tmp_path / ".env").write_text("AILEX_LOCALE=en\nAILEX_PROBE_TIMEOUT=soon\n")
    result = _ailex("incidents", env=clean_env, cwd=tmp_path)
    assert result.stderr.strip() == "ailex: AILEX_PROBE_TIMEOUT is invalid: must be a number"


def test_a_database_url_no_store_speaks_is_one_line(tmp_path, clean_env):
    env = {**clean_env, "AILEX_DATABASE_URL": "foo://x", "SLACK_BOT_TOKEN": "xoxb-1"}
    result = _ailex("serve", env={**env, "SLACK_SIGNING_SECRET": "s"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ailex: AILEX_DATABASE_URL 값이 잘못되었습니다")
    assert "Traceback" not in result.stderr and "sqlalchemy" not in result.stderr


def test_an_unreachable_store_is_one_line_naming_the_setting(tmp_path, clean_env):
    env = {**clean_env, "AILEX_DATABASE_URL": "postgresql+psycopg://ailex:pw@127.0.0.1:1/x"}
    for command in (("incidents",), ("report", "1"), ("diagnose", "data-loss")):
        result = _ailex(*command, env=env, cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr.strip() == (
            "ailex: AILEX_DATABASE_URL의 저장소에 연결하지 못했습니다 "
            "(postgresql+psycopg://ailex:***@127.0.0.1:1/x). 주소와 DB 서버를 확인하세요."
        )
    result = _ailex("console", env=env, cwd=tmp_path)
    assert "AILEX_DATABASE_URL의 저장소에 연결하지 못했습니다" in result.stderr
    assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr


def test_missing_slack_credentials_stop_serve_naming_them_all(tmp_path, clean_env):
    result = _ailex("serve", env=clean_env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ailex: SLACK_BOT_TOKEN 설정이 없습니다 (필수)",
        "ailex: SLACK_SIGNING_SECRET 설정이 없습니다 (필수)",
    ]
    english = {**clean_env, "AILEX_LOCALE": "en", "SLACK_BOT_TOKEN": "xoxb-1"}
    result = _ailex("serve", env=english, cwd=tmp_path)
    assert result.stderr.strip() == "ailex: SLACK_SIGNING_SECRET is not set (required)"
