"""The update reminder from `ailex serve` as a real process: its clock thread, its outbox."""

from __future__ import annotations

import pytest

from tests.cli.test_serve import _command, _free_port  # noqa: F401  (the same way to start)
from tests.cli.test_serve import serve as _serve_fixture  # noqa: F401
from tests.cli.test_serve import slack as _slack_fixture  # noqa: F401


def _updates(slack) -> list[dict]:
    return [m for m in slack.all_posts() if "업데이트가 없습니다" in (m["text"] or "")]


@pytest.fixture
def clean_env(clean_env):
    return {**clean_env, "AILEX_UPDATE_REMINDER_MINUTES": "P1:0.05"}


@pytest.fixture
def slack(_slack_fixture):  # noqa: F811
    return _slack_fixture


@pytest.fixture
def serve(_serve_fixture):  # noqa: F811
    return _serve_fixture


def test_serve_posts_one_update_reminder_after_the_interval(serve, slack):
    url, _, _ = serve
    assert _command(url, "incident start P1 결제 지연", trigger="t-declare").status_code == 200
    slack.wait_for(lambda: slack.channels and slack.all_posts())
    # 0.05 minutes (3 s) without an update: one reminder, with the snooze button.
    (first,) = slack.wait_for(lambda: _updates(slack), timeout=20)
    assert "ailex.reminder.snooze" in str(first["blocks"])
    assert "0.05분 동안 업데이트가 없습니다" in first["text"]
    assert len(_updates(slack)) == 1
