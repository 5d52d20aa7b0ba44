"""Rollback (상황 1 경우 A) against the fake Vercel: which deployment it promotes, the promote
call itself, and every way Vercel or a person can make it refuse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.messages import Catalogue
from bot.messages import remediations as catalogue
from remediations import rollback
from remediations.base import Preview
from tests.fakes.base import Response
from tests.fakes.vercel import TOKEN, FakeVercel, vercel_error
from tests.remediations.helpers import _literals, assert_translatable, closed_port, config, texts

TEAM = "team_ailex"


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel(team_id=TEAM) as fake:
        yield fake


def history(fake: FakeVercel) -> dict[str, dict[str, Any]]:
    """Production history: an old and a previous READY build, the current one, a newer failure."""
    return {
        "old": fake.add_deployment(minutes_ago=600, commit_message="Old release"),
        "previous": fake.add_deployment(
            minutes_ago=240, commit_message="Add audit export\n\nLong body of the commit"
        ),
        "current": fake.add_deployment(minutes_ago=30, commit_message="Rewrite dashboard query"),
        "failed": fake.add_deployment(state="ERROR", minutes_ago=10),
    }


def host(deployment: dict[str, Any]) -> str:
    return str(deployment["url"])


def promotes(fake: FakeVercel) -> list[Any]:
    return fake.received("POST", r"/v10/projects/.*/promote/.*")


# -- the preview names the right deployments ---------------------------------------------


def test_rollback_previews_the_previous_ready_production_deployment(vercel: FakeVercel) -> None:
    made = history(vercel)

    preview = rollback.preview(**config(vercel))

    assert preview.blocked is None
    assert preview.action == "rollback"
    assert preview.data["target"]["id"] == made["previous"]["uid"]
    assert preview.data["replaces"]["id"] == made["current"]["uid"]
    assert preview.data["project_id"] == vercel.project_id
    assert preview.summary.key == "rollback.preview"
    assert preview.summary.params == {
        "target": host(made["previous"]),
        "current": host(made["current"]),
    }
    target_line, current_line = (d.params["deployment"] for d in preview.details)
    sha = made["previous"]["meta"]["githubCommitSha"][:7]
    assert target_line.startswith(made["previous"]["uid"])
    assert f"{sha} Add audit export (main)" in target_line
    assert "Long body" not in target_line  # the message's first line only
    assert "@oncall" in target_line
    # ready a minute after creation; the age in the sentence's own language
    assert Catalogue("ko").render(preview.details[0]).endswith("· 3시간 59분 전")
    assert Catalogue("en").render(preview.details[0]).endswith("· 3h 59m old")
    assert current_line.startswith(made["current"]["uid"])
    assert_translatable(preview)
    (listing,) = vercel.received("GET", "/v6/deployments")
    assert listing.query["projectId"] == [vercel.project_id]
    assert listing.query["target"] == ["production"]
    assert listing.query["teamId"] == [TEAM]
    assert listing.headers["authorization"] == f"Bearer {TOKEN}"
    json.dumps(preview.data)  # stored as JSON with the request


def test_rollback_executes_the_promote_and_sees_production_switch(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel))
    vercel.reset()

    outcome = rollback.execute(preview, **config(vercel))

    assert outcome.ok, outcome
    assert outcome.summary.key == "rollback.done"
    assert outcome.summary.params == {
        "deployment": host(made["previous"]),
        "replaced": host(made["current"]),
    }
    assert outcome.data["promoted"] == made["previous"]["uid"]
    assert outcome.data["replaced"] == made["current"]["uid"]
    assert outcome.data["confirmed"] is True
    assert outcome.data["http_status"] == 201
    (promote,) = promotes(vercel)
    assert promote.path == f"/v10/projects/{vercel.project_id}/promote/{made['previous']['uid']}"
    assert promote.query == {"teamId": [TEAM]}
    assert promote.body == b""
    # It re-read the target by id before promoting.
    assert vercel.received("GET", f"/v13/deployments/{made['previous']['uid']}")
    assert made["previous"]["readySubstate"] == "PROMOTED"
    assert made["current"]["readySubstate"] == "STAGED"
    assert_translatable(outcome)


def test_rollback_without_team_sends_no_team_id() -> None:
    with FakeVercel() as fake:
        made = history(fake)
        preview = rollback.preview(**config(fake))
        outcome = rollback.execute(preview, **config(fake))
    assert outcome.ok
    assert all("teamId" not in r.query for r in fake.received())
    assert made["previous"]["readySubstate"] == "PROMOTED"


def test_rollback_to_a_deployment_named_by_id_beyond_the_listed_twenty(vercel: FakeVercel) -> None:
    ancient = vercel.add_deployment(minutes_ago=10_000, commit_message="Known good")
    for minutes in range(25):
        vercel.add_deployment(minutes_ago=100 + minutes)

    preview = rollback.preview(**config(vercel), argument=ancient["uid"])

    assert preview.blocked is None, preview.blocked
    assert preview.data["target"]["id"] == ancient["uid"]
    assert preview.data["named"] == ancient["uid"]
    assert vercel.received("GET", f"/v13/deployments/{ancient['uid']}")


@pytest.mark.parametrize(
    "form",
    ["https://{host}", "https://{host}/", "{host}", "<https://{host}|{host}>", "HTTPS://{HOST}/x"],
)
def test_rollback_to_a_deployment_named_by_url(vercel: FakeVercel, form: str) -> None:
    made = history(vercel)
    name = host(made["old"])

    preview = rollback.preview(**config(vercel), argument=form.format(host=name, HOST=name.upper()))

    assert preview.blocked is None, preview.blocked
    assert preview.data["target"]["id"] == made["old"]["uid"]
    assert preview.data["replaces"]["id"] == made["current"]["uid"]


def test_rollback_looks_up_a_url_it_did_not_list(vercel: FakeVercel) -> None:
    ancient = vercel.add_deployment(minutes_ago=10_000)
    for minutes in range(21):
        vercel.add_deployment(minutes_ago=100 + minutes)

    preview = rollback.preview(**config(vercel), argument=f"https://{ancient['url']}")

    assert preview.data["target"]["id"] == ancient["uid"]
    assert vercel.received("GET", f"/v13/deployments/{ancient['url']}")


# -- refusals at preview -----------------------------------------------------------------


def test_rollback_to_an_unknown_deployment_is_refused(vercel: FakeVercel) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel), argument="dpl_doesnotexist0000")
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.not_found"
    assert preview.blocked.params == {"deployment": "dpl_doesnotexist0000"}
    assert preview.data == {}
    assert_translatable(preview)


def test_rollback_to_the_deployment_already_serving_is_refused(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel), argument=made["current"]["uid"])
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.already_serving"
    assert_translatable(preview)


def test_rollback_to_a_preview_deployment_is_refused(vercel: FakeVercel) -> None:
    history(vercel)
    branch_build = vercel.add_deployment(target=None, minutes_ago=60)
    preview = rollback.preview(**config(vercel), argument=branch_build["uid"])
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.not_production"


def test_rollback_to_a_failed_deployment_is_refused(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel), argument=made["failed"]["uid"])
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.not_ready"
    assert preview.blocked.params["state"] == "ERROR"


def test_rollback_to_another_projects_deployment_is_refused(vercel: FakeVercel) -> None:
    history(vercel)
    stranger = vercel.add_deployment(minutes_ago=300)
    stranger["projectId"] = "prj_someoneelse"
    preview = rollback.preview(**config(vercel), argument=stranger["uid"])
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.other_project"
    assert preview.blocked.params["project"] == "prj_someoneelse"


@pytest.mark.parametrize(
    "argument", ["; rm -rf /", "dpl_", "../../v9/projects", "not a url at all"]
)
def test_rollback_with_a_malformed_argument_is_refused_without_calling_vercel(
    vercel: FakeVercel, argument: str
) -> None:
    preview = rollback.preview(**config(vercel), argument=argument)
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.bad_argument"
    assert vercel.received() == []
    assert_translatable(preview)


def test_rollback_with_only_one_ready_deployment_has_nothing_to_go_back_to(
    vercel: FakeVercel,
) -> None:
    vercel.add_deployment(minutes_ago=30)
    vercel.add_deployment(state="ERROR", minutes_ago=10)
    preview = rollback.preview(**config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.no_previous"
    assert preview.blocked.params["count"] == 2


def test_rollback_with_no_ready_deployment_says_so(vercel: FakeVercel) -> None:
    vercel.add_deployment(state="ERROR", minutes_ago=10)
    preview = rollback.preview(**config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "rollback.no_ready"


def test_rollback_to_a_named_deployment_when_nothing_serves_production(
    vercel: FakeVercel,
) -> None:
    ancient = vercel.add_deployment(minutes_ago=10_000, ready_substate="STAGED")
    for minutes in range(20):
        vercel.add_deployment(state="ERROR", minutes_ago=minutes)
    preview = rollback.preview(**config(vercel), argument=ancient["uid"])
    assert preview.blocked is None
    assert preview.data["replaces"] is None
    assert [d.key for d in preview.details] == ["rollback.target", "rollback.no_current_serving"]
    outcome = rollback.execute(preview, **config(vercel))
    assert outcome.ok, outcome
    assert outcome.summary.params["replaced"] == "-"
    assert outcome.data["confirmed"] is True  # by the target's own substate
    assert ancient["readySubstate"] == "PROMOTED"


@pytest.mark.parametrize(
    ("token", "project_id", "missing"),
    [
        (None, "prj_ailex0001", "VERCEL_TOKEN"),
        (TOKEN, None, "VERCEL_PROJECT_ID"),
        ("", "", "VERCEL_TOKEN, VERCEL_PROJECT_ID"),
    ],
)
def test_rollback_not_configured_names_the_missing_settings(
    vercel: FakeVercel, token: str | None, project_id: str | None, missing: str
) -> None:
    preview = rollback.preview(**config(vercel, token=token, project_id=project_id))
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.not_configured"
    assert preview.blocked.params == {"settings": missing}
    assert vercel.received() == []
    assert_translatable(preview)


# -- what Vercel or the network can do to the preview ------------------------------------


def huge() -> Response:
    return Response(200, b'{"deployments": [' + b" " * (2 << 20) + b"]}")


FAILURES: dict[str, tuple[Any, str]] = {
    "rate limited": (
        vercel_error(
            429,
            "rate_limited",
            "Rate limit exceeded",
            limit={"remaining": 0, "reset": 1700000000, "resetMs": 1700000000000, "total": 100},
        ),
        "remediation.http.rate_limited",
    ),
    "server error": (Response(502, "Bad Gateway"), "remediation.http.server_error"),
    "unavailable with error body": (
        vercel_error(503, "service_unavailable", "Try again"),
        "remediation.http.server_error",
    ),
    "invalid json": (
        Response(200, b"{not json", {"Content-Type": "application/json"}),
        "remediation.http.invalid_json",
    ),
    "wrong shape": (Response(200, {"deployments": "nope"}), "remediation.http.bad_shape"),
    "huge body": (huge(), "remediation.http.too_large"),
    "cut off": (Response(200, b'{"deployments": []}', cut_after=5), "remediation.http.protocol"),
    "timeout": (Response(200, {"deployments": []}, delay=1.0), "remediation.http.timeout"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_rollback_preview_turns_a_vercel_failure_into_its_sentence(
    vercel: FakeVercel, case: str
) -> None:
    history(vercel)
    response, key = FAILURES[case]
    vercel.fail("GET", "/v6/deployments", response)

    preview = rollback.preview(**config(vercel, timeout=0.4))

    assert preview.blocked is not None
    assert preview.blocked.key == key, preview.blocked
    assert preview.data == {}
    assert_translatable(preview)
    assert TOKEN not in texts(preview)


def test_rollback_preview_quotes_vercels_error_on_rate_limit(vercel: FakeVercel) -> None:
    response, _ = FAILURES["rate limited"]
    vercel.fail("GET", "/v6/deployments", response)
    preview = rollback.preview(**config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.params["error"] == "rate_limited: Rate limit exceeded"


def test_rollback_with_a_bad_token_says_not_authorised_and_never_shows_it(
    vercel: FakeVercel,
) -> None:
    history(vercel)
    wrong = "vercel-wrong-token-SECRET42"
    preview = rollback.preview(**config(vercel, token=wrong))
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.http.auth"
    assert preview.blocked.params["code"] == 403
    assert preview.blocked.params["error"] == "forbidden: Not authorized"
    assert wrong not in texts(preview)
    assert TOKEN not in texts(preview)


def test_rollback_in_the_wrong_team_is_not_authorised(vercel: FakeVercel) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel, team_id="team_other"))
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.http.auth"


def test_rollback_against_a_refused_port_says_so() -> None:
    preview = rollback.preview(
        api_url=f"http://127.0.0.1:{closed_port()}",
        token=TOKEN,
        project_id="prj_ailex0001",
        timeout=2.0,
    )
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.http.refused"
    assert preview.blocked.params == {"service": "Vercel API"}


def test_rollback_preview_runs_from_a_thread_with_a_running_event_loop(
    vercel: FakeVercel,
) -> None:
    made = history(vercel)

    async def inside_a_loop() -> Preview:
        return rollback.preview(**config(vercel))

    preview = asyncio.run(inside_a_loop())
    assert preview.data["target"]["id"] == made["previous"]["uid"]


# -- execution re-checks the world -------------------------------------------------------


def test_rollback_refuses_when_the_target_is_no_longer_ready(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel))
    made["previous"]["state"] = made["previous"]["readyState"] = "CANCELED"

    outcome = rollback.execute(preview, **config(vercel))

    assert not outcome.ok
    assert outcome.summary.key == "rollback.not_ready"
    assert outcome.summary.params["state"] == "CANCELED"
    assert promotes(vercel) == []
    assert_translatable(outcome)


def test_rollback_refuses_when_the_target_was_deleted(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel))
    vercel.deployments.remove(made["previous"])

    outcome = rollback.execute(preview, **config(vercel))

    assert not outcome.ok
    assert outcome.summary.key == "rollback.target_gone"
    assert promotes(vercel) == []


def test_rollback_refuses_when_production_moved_since_the_preview(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel))
    hotfix = vercel.add_deployment(minutes_ago=1, commit_message="Hotfix")

    outcome = rollback.execute(preview, **config(vercel))

    assert not outcome.ok
    assert outcome.summary.key == "rollback.production_changed"
    assert outcome.summary.params == {
        "expected": made["current"]["uid"],
        "actual": hotfix["uid"],
    }
    assert promotes(vercel) == []
    assert_translatable(outcome)


def test_rollback_already_done_by_someone_else_does_nothing(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel))
    vercel.promote(made["previous"])

    outcome = rollback.execute(preview, **config(vercel))

    assert outcome.ok
    assert outcome.summary.key == "rollback.already_done"
    assert outcome.data["promoted"] is None
    assert promotes(vercel) == []


def test_rollback_reports_vercels_409_conflict(vercel: FakeVercel) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel))
    vercel.fail(
        "POST",
        r"/v10/projects/.*/promote/.*",
        vercel_error(409, "conflict", "A rollback or promotion is already in progress"),
    )

    outcome = rollback.execute(preview, **config(vercel))

    assert not outcome.ok
    assert outcome.summary.key == "rollback.conflict"
    assert outcome.summary.params == {
        "error": "conflict: A rollback or promotion is already in progress"
    }
    assert_translatable(outcome)


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (vercel_error(403, "forbidden", "Not authorized"), "remediation.http.auth"),
        (vercel_error(500, "internal_server_error", "boom"), "remediation.http.server_error"),
        (Response(201, b"", delay=1.0), "remediation.http.timeout"),
    ],
)
def test_rollback_promote_failures_are_reported_with_their_reason(
    vercel: FakeVercel, response: Response, key: str
) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel))
    vercel.fail("POST", r"/v10/projects/.*/promote/.*", response)

    outcome = rollback.execute(preview, **config(vercel, timeout=0.5))

    assert not outcome.ok
    assert outcome.summary.key == "rollback.failed"
    assert [d.key for d in outcome.details] == [key]
    assert_translatable(outcome)


def test_rollback_accepted_but_not_yet_live_says_so(vercel: FakeVercel) -> None:
    made = history(vercel)
    preview = rollback.preview(**config(vercel))
    vercel.promote_applies = False

    outcome = rollback.execute(preview, **config(vercel), wait_s=0.3, poll_interval_s=0.1)

    assert outcome.ok
    assert outcome.summary.key == "rollback.accepted"
    assert outcome.data["confirmed"] is False
    assert outcome.data["http_status"] == 202
    assert made["current"]["readySubstate"] == "PROMOTED"
    assert len(vercel.received("GET", "/v6/deployments")) >= 3  # the check, then polls


def test_rollback_keeps_watching_through_a_failed_look(
    vercel: FakeVercel, monkeypatch: pytest.MonkeyPatch
) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel))
    promote = vercel.promote

    def promote_then_fail_the_next_look(deployment: dict[str, Any]) -> None:
        promote(deployment)
        vercel.fail("GET", "/v6/deployments", Response(502, "Bad Gateway"))

    monkeypatch.setattr(vercel, "promote", promote_then_fail_the_next_look)
    vercel.reset()

    outcome = rollback.execute(preview, **config(vercel), wait_s=5, poll_interval_s=0.05)

    assert outcome.ok
    assert outcome.data["confirmed"] is True
    assert len(vercel.received("GET", "/v6/deployments")) == 3  # check, failed look, good look


def test_rollback_refuses_a_preview_that_is_not_its_own(vercel: FakeVercel) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel))
    for bad in (
        preview.model_copy(update={"action": "purge-audit-logs"}),
        preview.model_copy(update={"data": {"target": "dpl_x"}}),
        preview.model_copy(update={"blocked": preview.summary}),
    ):
        outcome = rollback.execute(bad, **config(vercel))
        assert not outcome.ok
        assert outcome.summary.key == "remediation.bad_preview"
    assert promotes(vercel) == []


def test_rollback_refuses_when_the_project_setting_changed(vercel: FakeVercel) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel))
    outcome = rollback.execute(preview, **config(vercel, project_id="prj_other"))
    assert not outcome.ok
    assert outcome.summary.key == "remediation.config_changed"
    assert outcome.summary.params == {"setting": "VERCEL_PROJECT_ID"}
    assert promotes(vercel) == []


def test_rollback_execute_against_a_refused_port_fails_cleanly(vercel: FakeVercel) -> None:
    history(vercel)
    preview = rollback.preview(**config(vercel))
    outcome = rollback.execute(
        preview, **config(vercel, api_url=f"http://127.0.0.1:{closed_port()}")
    )
    assert not outcome.ok
    assert [d.key for d in outcome.details] == ["remediation.http.refused"]


# -- the catalogue ------------------------------------------------------------------------


def test_every_rollback_and_shared_vercel_sentence_is_used() -> None:
    ours = {
        key
        for key in catalogue.KO
        if key.startswith(("rollback.", "remediation.http."))
        or key in ("remediation.not_configured", "remediation.config_changed")
    }
    assert ours
    assert sorted(ours - _literals()) == []
