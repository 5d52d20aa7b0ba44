"""Emergency deploy (상황 6, CI/CD 우회) against the fake Vercel: the redeploy it asks for, the
deployment it is based on, its required reason, and its failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.messages import remediations as catalogue
from remediations import emergency_deploy
from tests.fakes.base import Response
from tests.fakes.vercel import TOKEN, FakeVercel, vercel_error
from tests.remediations.helpers import _literals, assert_translatable, closed_port, config, texts

TEAM = "team_ailex"
REASON = "deploy.yml runner outage; hotfix for login loop"


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel(team_id=TEAM) as fake:
        yield fake


def creates(fake: FakeVercel) -> list[Any]:
    return fake.received("POST", "/v13/deployments")


def test_emergency_deploy_previews_the_branch_and_the_deployment_it_builds_from(
    vercel: FakeVercel,
) -> None:
    vercel.add_deployment(minutes_ago=300)
    current = vercel.add_deployment(minutes_ago=60, commit_message="Release 1.4")
    vercel.add_deployment(state="ERROR", minutes_ago=5)

    preview = emergency_deploy.preview(**config(vercel), argument=f"  {REASON}  ")

    assert preview.blocked is None, preview.blocked
    assert preview.action == "emergency-deploy"
    assert preview.summary.key == "emergency_deploy.preview"
    assert preview.summary.params == {"branch": "main", "reason": REASON}
    assert preview.data["base"]["id"] == current["uid"]
    assert preview.data["branch"] == "main"
    assert preview.data["reason"] == REASON
    assert preview.data["name"] == "ailex"
    assert preview.data["project_id"] == vercel.project_id
    project, base = preview.details
    assert project.params == {"project": "ailex", "project_id": vercel.project_id}
    assert base.params["deployment"].startswith(current["uid"])
    assert "Release 1.4 (main)" in base.params["deployment"]
    assert base.params["state"] == "READY"
    assert_translatable(preview)
    (listing,) = vercel.received("GET", "/v6/deployments")
    assert listing.query["teamId"] == [TEAM]
    assert "state" not in listing.query  # any state: a failed newest build is still seen


def test_emergency_deploy_creates_a_production_build_of_the_latest_commit(
    vercel: FakeVercel,
) -> None:
    current = vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    vercel.reset()

    outcome = emergency_deploy.execute(preview, **config(vercel))

    assert outcome.ok, outcome
    (create,) = creates(vercel)
    assert create.query == {"forceNew": ["1"], "teamId": [TEAM]}
    assert create.json() == {
        "name": "ailex",
        "project": vercel.project_id,
        "deploymentId": current["uid"],
        "target": "production",
        "withLatestCommit": True,
    }
    new = vercel.deployments[-1]
    assert new["meta"]["githubCommitSha"] == vercel.branch_head["sha"]
    assert new["target"] == "production"
    assert outcome.summary.key == "emergency_deploy.started"
    assert outcome.summary.params == {"deployment": new["url"], "state": "QUEUED", "branch": "main"}
    assert outcome.data["deployment"]["id"] == new["uid"]
    assert outcome.data["deployment"]["commit"] == vercel.branch_head["sha"][:7]
    assert outcome.data["base"] == current["uid"]
    assert outcome.data["reason"] == REASON
    assert_translatable(outcome)


def test_emergency_deploy_warns_of_a_production_build_already_running(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=60)
    running = vercel.add_deployment(state="BUILDING", minutes_ago=2)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    assert preview.blocked is None
    assert preview.details[-1].key == "emergency_deploy.in_progress"
    assert preview.details[-1].params == {"deployment": running["url"], "state": "BUILDING"}
    assert preview.data["in_progress"]["id"] == running["uid"]


def test_emergency_deploy_with_nothing_ready_builds_from_the_newest_deployment(
    vercel: FakeVercel,
) -> None:
    vercel.add_deployment(state="ERROR", minutes_ago=30)
    newest = vercel.add_deployment(state="ERROR", minutes_ago=5)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    assert preview.blocked is None
    assert preview.data["base"]["id"] == newest["uid"]
    assert preview.details[1].params["state"] == "ERROR"


@pytest.mark.parametrize("argument", [None, "", "   ", "\n\t"])
def test_emergency_deploy_without_a_reason_asks_for_one(
    vercel: FakeVercel, argument: str | None
) -> None:
    vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=argument)
    assert preview.blocked is not None
    assert preview.blocked.key == "emergency_deploy.no_reason"
    assert vercel.received() == []
    assert_translatable(preview)


def test_emergency_deploy_reason_is_one_line_and_hides_credentials(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=60)
    reason = "CI down\nkey sk-proj-abcdefABCDEF0123 leaked?"
    preview = emergency_deploy.preview(**config(vercel), argument=reason)
    assert preview.data["reason"] == "CI down key [redacted] leaked?"


def test_emergency_deploy_with_no_deployment_at_all_is_refused(vercel: FakeVercel) -> None:
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    assert preview.blocked is not None
    assert preview.blocked.key == "emergency_deploy.no_base"


def test_emergency_deploy_from_a_deployment_not_made_from_git_is_refused(
    vercel: FakeVercel,
) -> None:
    cli_upload = vercel.add_deployment(minutes_ago=60)
    cli_upload["meta"] = {}
    cli_upload["source"] = "cli"
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    assert preview.blocked is not None
    assert preview.blocked.key == "emergency_deploy.no_git"


def test_emergency_deploy_not_configured_names_the_setting(vercel: FakeVercel) -> None:
    preview = emergency_deploy.preview(**config(vercel, token=None), argument=REASON)
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.not_configured"
    assert preview.blocked.params == {"settings": "VERCEL_TOKEN"}


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (
            vercel_error(403, "forbidden", "Not authorized", invalidToken=True),
            "remediation.http.auth",
        ),
        (vercel_error(429, "rate_limited", "Rate limit exceeded"), "remediation.http.rate_limited"),
        (Response(503, "unavailable"), "remediation.http.server_error"),
        (Response(200, b"<html>", {"Content-Type": "text/html"}), "remediation.http.invalid_json"),
        (Response(200, {"deployments": []}, delay=1.0), "remediation.http.timeout"),
    ],
)
def test_emergency_deploy_preview_failures_become_sentences(
    vercel: FakeVercel, response: Response, key: str
) -> None:
    vercel.add_deployment(minutes_ago=60)
    vercel.fail("GET", "/v6/deployments", response)
    preview = emergency_deploy.preview(**config(vercel, timeout=0.4), argument=REASON)
    assert preview.blocked is not None
    assert preview.blocked.key == key
    assert TOKEN not in texts(preview)


def test_emergency_deploy_refuses_when_the_base_deployment_is_gone(vercel: FakeVercel) -> None:
    current = vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    vercel.deployments.remove(current)

    outcome = emergency_deploy.execute(preview, **config(vercel))

    assert not outcome.ok
    assert outcome.summary.key == "emergency_deploy.base_gone"
    assert creates(vercel) == []
    assert_translatable(outcome)


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (vercel_error(403, "forbidden", "Not authorized"), "remediation.http.auth"),
        (vercel_error(400, "bad_request", "Invalid request: `target`"), "remediation.http.status"),
        (
            vercel_error(409, "conflict", "Deployment already in progress"),
            "remediation.http.conflict",
        ),
        (
            vercel_error(429, "rate_limited", "Too many deployments"),
            "remediation.http.rate_limited",
        ),
        (Response(500, "oops"), "remediation.http.server_error"),
        (Response(200, {"no": "id"}), "remediation.http.bad_shape"),
        (Response(200, {}, delay=1.0), "remediation.http.timeout"),
    ],
)
def test_emergency_deploy_create_failures_are_reported(
    vercel: FakeVercel, response: Response, key: str
) -> None:
    vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    vercel.fail("POST", "/v13/deployments", response)

    outcome = emergency_deploy.execute(preview, **config(vercel, timeout=0.5))

    assert not outcome.ok
    assert outcome.summary.key == "emergency_deploy.failed"
    assert [d.key for d in outcome.details] == [key]
    assert_translatable(outcome)


def test_emergency_deploy_that_errors_at_once_is_not_ok(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    vercel.new_deployment_state = "ERROR"
    outcome = emergency_deploy.execute(preview, **config(vercel))
    assert not outcome.ok
    assert outcome.summary.key == "emergency_deploy.errored"
    assert outcome.data["deployment"]["state"] == "ERROR"


def test_emergency_deploy_against_a_refused_port_fails_cleanly(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    dead = config(vercel, api_url=f"http://127.0.0.1:{closed_port()}")
    outcome = emergency_deploy.execute(preview, **dead)
    assert not outcome.ok
    assert [d.key for d in outcome.details] == ["remediation.http.refused"]


def test_emergency_deploy_refuses_another_actions_preview_or_a_changed_project(
    vercel: FakeVercel,
) -> None:
    vercel.add_deployment(minutes_ago=60)
    preview = emergency_deploy.preview(**config(vercel), argument=REASON)
    wrong = emergency_deploy.execute(
        preview.model_copy(update={"action": "rollback"}), **config(vercel)
    )
    moved = emergency_deploy.execute(preview, **config(vercel, project_id="prj_other"))
    assert wrong.summary.key == "remediation.bad_preview"
    assert moved.summary.key == "remediation.config_changed"
    assert creates(vercel) == []


def test_every_emergency_deploy_sentence_is_used() -> None:
    ours = {key for key in catalogue.KO if key.startswith("emergency_deploy.")}
    assert ours
    assert sorted(ours - _literals()) == []
