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


def test_bad_setting_stops_start_up_with_one_line(tmp_path, clean_env):
    result = _ailex("serve", env={**clean_env, "AILEX_LOCALE": "fr"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "AILEX_LOCALE" in lines[0] and "'ko' or 'en'" in lines[0]


def test_missing_slack_credentials_stop_serve_with_one_line(tmp_path, clean_env):
    result = _ailex("serve", env=clean_env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "ailex: SLACK_BOT_TOKEN 설정이 없습니다 (필수)"
    english = {**clean_env, "AILEX_LOCALE": "en", "SLACK_BOT_TOKEN": "xoxb-1"}
    result = _ailex("serve", env=english, cwd=tmp_path)
    assert result.stderr.strip() == "ailex: SLACK_SIGNING_SECRET is not set (required)"
