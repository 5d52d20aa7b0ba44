"""상황 6 (deploy failed): the GitHub Actions workflow's latest runs and the stage that broke,
and the failed Vercel build with its error lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.messages import Catalogue
from probes.base import Finding
from probes.github import check_github_workflow, classify_stage
from probes.vercel import check_vercel_failed_build
from tests.fakes.base import Response
from tests.fakes.findings import check, run
from tests.fakes.github import TOKEN, FakeGitHub
from tests.fakes.vercel import TOKEN as VERCEL_TOKEN
from tests.fakes.vercel import FakeVercel, event


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake


def workflow(fake: FakeGitHub, **kwargs) -> Finding:
    return run(
        check_github_workflow(
            api_url=fake.url,
            repository=kwargs.pop("repository", fake.repository),
            workflow=kwargs.pop("workflow", fake.workflow),
            timeout=5,
            **kwargs,
        )
    )


def test_latest_successful_run_is_ok(github: FakeGitHub) -> None:
    github.add_run(conclusion="failure", failed_step="Test (npx vitest run)")
    run_ = github.add_run(conclusion="success")
    finding = check(workflow(github), "ok", "check.github.passed")
    assert finding.data["latest"]["id"] == run_["id"]
    assert finding.data["failure"] is None
    request = github.received()[0]
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert "authorization" not in request.headers  # a public repository needs no token


@pytest.mark.parametrize(
    ("step", "stage"),
    [
        ("Lint (npx eslint .)", "lint"),
        ("Type check (npx tsc --noEmit)", "typecheck"),
        ("Test (npx vitest run)", "test"),
        ("Build (npm run build)", "build"),
        ("Deploy to Vercel (vercel --prod)", "deploy"),
    ],
)
def test_failed_run_names_the_failed_step_and_its_stage(
    github: FakeGitHub, step: str, stage: str
) -> None:
    run_ = github.add_run(conclusion="failure", failed_step=step)
    finding = check(workflow(github, token=TOKEN), "fail", "check.github.failed", TOKEN)
    failure = finding.data["failure"]
    assert failure["stage"] == stage
    assert failure["step"] == step
    assert failure["job"] == "build-and-deploy"
    assert failure["job_url"].startswith(run_["html_url"] + "/job/")
    korean = {"lint": "린트", "typecheck": "타입체크", "test": "테스트", "build": "빌드"}
    korean["deploy"] = "배포"
    assert f"실패: {korean[stage]} 단계" in Catalogue("ko").render(finding.summary)
    assert f"failed at {stage} (" in Catalogue("en").render(finding.summary)


def test_failure_in_an_unnamed_step_falls_back_to_the_job_name(github: FakeGitHub) -> None:
    github.add_run(
        conclusion="failure",
        failed_step="Run npm run check",
        job_name="typecheck",
        steps=("Checkout", "Run npm run check"),
    )
    finding = check(workflow(github), "fail", "check.github.failed")
    assert finding.data["failure"]["stage"] == "typecheck"


def test_run_in_progress_after_a_failure_warns(github: FakeGitHub) -> None:
    github.add_run(conclusion="failure", failed_step="Build (npm run build)")
    github.add_run(status="in_progress", conclusion=None)
    finding = check(workflow(github), "warn", "check.github.running_after_failure")
    assert finding.data["failure"]["stage"] == "build"


def test_run_in_progress_after_a_success_is_ok(github: FakeGitHub) -> None:
    github.add_run(conclusion="success")
    github.add_run(status="queued", conclusion=None)
    check(workflow(github), "ok", "check.github.running")


def test_cancelled_run_warns(github: FakeGitHub) -> None:
    github.add_run(conclusion="cancelled")
    check(workflow(github), "warn", "check.github.other")


def test_failed_run_whose_jobs_cannot_be_read_still_fails(github: FakeGitHub) -> None:
    github.add_run(conclusion="failure", failed_step="Build (npm run build)")
    github.fail("GET", r".*/jobs", Response(502, "bad gateway"))
    finding = check(workflow(github), "fail", "check.github.failed")
    assert finding.data["failure"]["stage"] == "unknown"
    assert finding.data["failure"]["jobs_error"] == "http_502"


def test_private_repository_without_a_token_is_not_found() -> None:
    with FakeGitHub(private=True) as fake:
        fake.add_run()
        hidden = workflow(fake)
        seen = workflow(fake, token=TOKEN)
    check(hidden, "error", "check.github.not_found")
    assert hidden.data["authenticated"] is False
    check(seen, "ok", "check.github.passed", TOKEN)


def test_bad_token_is_named(github: FakeGitHub) -> None:
    check(
        workflow(github, token="ghp_wrongwrongwrong1234"),
        "error",
        "check.github.bad_token",
        "ghp_wrongwrongwrong1234",
    )


def test_rate_limit_is_named(github: FakeGitHub) -> None:
    github.rate_limited = True
    finding = check(workflow(github), "error", "check.github.rate_limited")
    assert finding.data["rate_limit_reset"] == "1750000000"


def test_unknown_workflow_is_not_found(github: FakeGitHub) -> None:
    check(workflow(github, workflow="nope.yml"), "error", "check.github.not_found")


def test_workflow_without_runs_warns(github: FakeGitHub) -> None:
    check(workflow(github), "warn", "check.github.no_runs")


def test_repository_not_in_owner_repo_form_is_refused_before_any_request(
    github: FakeGitHub,
) -> None:
    check(workflow(github, repository="not a repo"), "error", "check.github.bad_repository")
    assert github.received() == []


def test_github_answering_garbage_is_an_error(github: FakeGitHub) -> None:
    github.fail("GET", r".*/runs", Response(200, b"\x00\xff not json"))
    check(workflow(github), "error", "check.http.invalid_json")


@pytest.mark.parametrize(
    ("names", "stage"),
    [
        (("npx eslint .",), "lint"),
        (("Lint",), "lint"),
        (("npx tsc --noEmit",), "typecheck"),
        (("type-check",), "typecheck"),
        (("npx vitest run --reporter=verbose",), "test"),
        (("jest",), "test"),
        (("next build",), "build"),
        (("vercel build",), "build"),
        (("vercel --prod --yes",), "deploy"),
        (("Deploy latest",), "deploy"),
        (("Install dependencies", "checks"), "unknown"),
        ((None, "unit-tests"), "test"),
    ],
)
def test_stage_classification(names: tuple[str | None, ...], stage: str) -> None:
    assert classify_stage(*names) == stage


# -- the failed Vercel build --------------------------------------------------------------


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        yield fake


def build(fake: FakeVercel) -> Finding:
    return run(
        check_vercel_failed_build(
            api_url=fake.url, token=VERCEL_TOKEN, project_id=fake.project_id, timeout=5
        )
    )


def test_newest_deployment_in_error_fails_with_its_build_errors(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=900)
    failed = vercel.add_deployment(
        minutes_ago=10,
        state="ERROR",
        error_code="BUILD_FAILED",
        error_message='Command "npm run build" exited with 1',
    )
    vercel.add_events(
        failed,
        event("Running build", seconds_ago=40),
        event("Type error: Property 'x' does not exist", kind="stderr", seconds_ago=30),
        event(
            'Error: Command "npm run build" exited with 1',
            kind="stderr",
            nested=True,
            seconds_ago=20,
        ),
    )
    finding = check(build(vercel), "fail", "check.vercel.build_failed", VERCEL_TOKEN)
    assert finding.summary.params["code"] == "BUILD_FAILED"
    assert finding.data["newest"]["error_message"] == 'Command "npm run build" exited with 1'
    assert finding.data["lines"] == [
        "Type error: Property 'x' does not exist",
        'Error: Command "npm run build" exited with 1',
    ]


def test_newest_deployment_ready_is_ok(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=90, state="ERROR")
    vercel.add_deployment(minutes_ago=10)
    check(build(vercel), "ok", "check.vercel.build_ok")


def test_deployment_still_building_is_ok(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=90)
    vercel.add_deployment(minutes_ago=1, state="BUILDING")
    finding = check(build(vercel), "ok", "check.vercel.build_running")
    assert finding.summary.params["state"] == "BUILDING"


def test_cancelled_newest_deployment_warns(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=1, state="CANCELED")
    check(build(vercel), "warn", "check.vercel.build_other")


def test_failed_build_check_skips_without_a_token() -> None:
    finding = run(
        check_vercel_failed_build(api_url="http://x", token=None, project_id="p", timeout=1)
    )
    check(finding, "skipped", "check.skipped")
    assert finding.data["missing"] == ["VERCEL_TOKEN"]


def test_failed_build_whose_log_cannot_be_read_still_fails(vercel: FakeVercel) -> None:
    vercel.add_deployment(minutes_ago=10, state="ERROR", error_code="BUILD_FAILED")
    vercel.fail("GET", r"/v3/deployments/.*/events", Response(500, "oops"))
    finding = check(build(vercel), "fail", "check.vercel.build_failed")
    assert finding.data["lines"] == []
    assert finding.data["events_error"] == "http_500"
