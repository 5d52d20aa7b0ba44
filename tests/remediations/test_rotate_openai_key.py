"""OPENAI_API_KEY rotation (상황 3 경우 B) against the fake Vercel and the fake OpenAI: the new key
is checked first and changes nothing unless accepted, then replaces production's value and
production is rebuilt; the key never comes back in anything the module returns or logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.messages import remediations as catalogue
from remediations import rotate_openai_key as rotate
from remediations.base import Outcome, Preview
from tests.fakes.base import Response
from tests.fakes.openai import FakeOpenAI
from tests.fakes.vercel import TOKEN, FakeVercel, vercel_error
from tests.remediations.helpers import _literals, assert_translatable, closed_port, config, texts

TEAM = "team_ailex"
OLD_KEY = "sk-proj-OLDkey0000000000000000expired"
NEW_KEY = "sk-proj-NEWkey1111111111111111fresh"


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel(team_id=TEAM) as fake:
        yield fake


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(key=NEW_KEY) as fake:
        yield fake


@pytest.fixture(autouse=True)
def all_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log line at every level: the key must be in none of them."""
    caplog.set_level(logging.DEBUG)


def production(fake: FakeVercel) -> dict[str, Any]:
    """A project with an older build and the one serving production now."""
    fake.add_deployment(minutes_ago=600)
    return fake.add_deployment(minutes_ago=60, commit_message="Release 1.4")


def run(
    preview: Preview, vercel: FakeVercel, openai: FakeOpenAI, key: str = NEW_KEY, **overrides: Any
) -> Outcome:
    settings = {**config(vercel), "openai_base_url": openai.base_url, **overrides}
    return rotate.execute(preview, new_key=key, **settings)


def assert_hidden(key: str, caplog: pytest.LogCaptureFixture, *items: Preview | Outcome) -> None:
    """The key is in no returned text, no data, no log line."""
    assert key not in texts(*items)
    assert key not in caplog.text
    for item in items:
        assert key not in json.dumps(item.model_dump(mode="json"))


def writes(fake: FakeVercel) -> list[Any]:
    """Every request that changes something at Vercel."""
    return [r for r in fake.received() if r.method != "GET"]


# -- the preview ---------------------------------------------------------------------------


def test_rotation_preview_names_the_variable_and_the_deployment_to_rebuild(
    vercel: FakeVercel,
) -> None:
    current = production(vercel)
    env = vercel.add_env("OPENAI_API_KEY", OLD_KEY, target=["production"])
    vercel.add_env("OPENAI_API_KEY", "sk-preview-key-000000000", target=["preview"])
    vercel.add_env("SUPABASE_URL", "https://x.supabase.co", target=["production"], type="plain")

    preview = rotate.preview(**config(vercel))

    assert preview.blocked is None, preview.blocked
    assert preview.action == "rotate-openai-key"
    assert preview.summary.key == "rotate_key.preview"
    assert preview.data == {
        "project_id": vercel.project_id,
        "name": "ailex",
        "env_vars": [{"id": env["id"], "targets": ["production"], "type": "encrypted"}],
        "deployment": preview.data["deployment"],
    }
    assert preview.data["deployment"]["id"] == current["uid"]
    keys = [d.key for d in preview.details]
    assert keys == ["rotate_key.check_first", "rotate_key.env", "rotate_key.redeploy"]
    assert preview.details[1].params == {
        "id": env["id"],
        "targets": "production",
        "type": "encrypted",
    }
    assert "Release 1.4" in preview.details[2].params["deployment"]
    (listing,) = vercel.received("GET", f"/v10/projects/{vercel.project_id}/env")
    assert listing.query == {"teamId": [TEAM]}
    assert OLD_KEY not in texts(preview)
    assert_translatable(preview)


def test_rotation_preview_says_a_missing_variable_will_be_created(vercel: FakeVercel) -> None:
    production(vercel)
    vercel.add_env("OPENAI_API_KEY", "sk-preview-only-00000000", target=["preview"])
    preview = rotate.preview(**config(vercel))
    assert preview.data["env_vars"] == []
    assert "rotate_key.env_missing" in [d.key for d in preview.details]


def test_rotation_preview_says_which_other_environments_share_the_variable(
    vercel: FakeVercel,
) -> None:
    production(vercel)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY, target=["production", "preview", "development"])
    preview = rotate.preview(**config(vercel))
    assert preview.details[1].params["targets"] == "production, preview, development"
    assert preview.details[2].key == "rotate_key.shared"
    assert preview.details[2].params["targets"] == "preview, development"
    assert_translatable(preview)


def test_rotation_refuses_an_argument_without_echoing_it(vercel: FakeVercel) -> None:
    production(vercel)
    preview = rotate.preview(**config(vercel), argument=NEW_KEY)
    assert preview.blocked is not None
    assert preview.blocked.key == "rotate_key.no_argument"
    assert NEW_KEY not in texts(preview)
    assert vercel.received() == []


def test_rotation_with_no_ready_production_deployment_is_refused(vercel: FakeVercel) -> None:
    vercel.add_deployment(state="ERROR", minutes_ago=5)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "rotate_key.no_deployment"


def test_rotation_not_configured_names_the_settings(vercel: FakeVercel) -> None:
    preview = rotate.preview(**config(vercel, token=None, project_id=None))
    assert preview.blocked is not None
    assert preview.blocked.params == {"settings": "VERCEL_TOKEN, VERCEL_PROJECT_ID"}


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (vercel_error(403, "forbidden", "Not authorized"), "remediation.http.auth"),
        (vercel_error(404, "not_found", "Project not found"), "remediation.http.not_found"),
        (Response(200, {"envs": "?"}), "remediation.http.bad_shape"),
        (Response(502, "bad gateway"), "remediation.http.server_error"),
        (Response(200, {"envs": []}, delay=1.0), "remediation.http.timeout"),
    ],
)
def test_rotation_preview_failures_become_sentences(
    vercel: FakeVercel, response: Response, key: str
) -> None:
    production(vercel)
    vercel.fail("GET", r"/v10/projects/.*/env", response)
    preview = rotate.preview(**config(vercel, timeout=0.4))
    assert preview.blocked is not None
    assert preview.blocked.key == key
    assert TOKEN not in texts(preview)


# -- execution -----------------------------------------------------------------------------


def test_rotation_checks_the_key_then_replaces_it_then_redeploys(
    vercel: FakeVercel, openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    current = production(vercel)
    env = vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    vercel.reset()

    outcome = run(preview, vercel, openai)

    assert outcome.ok, outcome
    (check,) = openai.received("GET", "/v1/models")
    assert check.headers["authorization"] == f"Bearer {NEW_KEY}"
    patch, create = writes(vercel)
    assert (patch.method, patch.path) == (
        "PATCH",
        f"/v9/projects/{vercel.project_id}/env/{env['id']}",
    )
    assert patch.query == {"teamId": [TEAM]}
    assert patch.json() == {"value": NEW_KEY, "type": "encrypted", "target": ["production"]}
    assert (create.method, create.path) == ("POST", "/v13/deployments")
    assert create.query == {"forceNew": ["1"], "teamId": [TEAM]}
    assert create.json() == {
        "name": "ailex",
        "project": vercel.project_id,
        "deploymentId": current["uid"],
        "target": "production",
    }
    assert check.at <= patch.at <= create.at
    assert env["value"] == NEW_KEY
    rebuilt = vercel.deployments[-1]
    assert rebuilt["meta"]["githubCommitSha"] == current["meta"]["githubCommitSha"]  # same commit
    assert outcome.summary.key == "rotate_key.done"
    assert outcome.summary.params == {"deployment": rebuilt["url"], "state": "QUEUED"}
    assert [d.key for d in outcome.details] == ["rotate_key.env_updated"]
    assert outcome.data["env_vars"] == [env["id"]]
    assert outcome.data["created"] is False
    assert outcome.data["deployment"]["id"] == rebuilt["uid"]
    assert outcome.data["redeployed_from"] == current["uid"]
    assert_translatable(outcome)
    assert_hidden(NEW_KEY, caplog, preview, outcome)
    assert_hidden(TOKEN, caplog, preview, outcome)


def test_rotation_creates_the_variable_when_production_has_none(
    vercel: FakeVercel, openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    production(vercel)
    preview = rotate.preview(**config(vercel))
    vercel.reset()

    outcome = run(preview, vercel, openai)

    assert outcome.ok, outcome
    create_env, redeploy = writes(vercel)
    assert create_env.path == f"/v10/projects/{vercel.project_id}/env"
    assert create_env.query == {"upsert": ["true"], "teamId": [TEAM]}
    assert create_env.json() == {
        "key": "OPENAI_API_KEY",
        "value": NEW_KEY,
        "type": "encrypted",
        "target": ["production"],
    }
    assert redeploy.path == "/v13/deployments"
    (env,) = vercel.envs
    assert (env["key"], env["value"], env["target"]) == ("OPENAI_API_KEY", NEW_KEY, ["production"])
    assert outcome.data["created"] is True
    assert outcome.data["env_vars"] == [env["id"]]
    assert [d.key for d in outcome.details] == ["rotate_key.env_created"]
    assert_hidden(NEW_KEY, caplog, outcome)


def test_rotation_keeps_a_shared_variables_environments_and_sensitive_type(
    vercel: FakeVercel, openai: FakeOpenAI
) -> None:
    production(vercel)
    shared = vercel.add_env("OPENAI_API_KEY", OLD_KEY, target=["production", "preview"])
    shared["type"] = "sensitive"
    preview = rotate.preview(**config(vercel))

    outcome = run(preview, vercel, openai)

    assert outcome.ok
    (patch,) = vercel.received("PATCH")
    assert patch.json() == {
        "value": NEW_KEY,
        "type": "sensitive",
        "target": ["production", "preview"],
    }


def test_rotation_stores_a_plain_variable_encrypted(vercel: FakeVercel, openai: FakeOpenAI) -> None:
    production(vercel)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY, type="plain")
    outcome = run(rotate.preview(**config(vercel)), vercel, openai)
    assert outcome.ok
    assert vercel.received("PATCH")[0].json()["type"] == "encrypted"


@pytest.mark.parametrize(
    ("mode", "key"),
    [
        ("invalid_key", "rotate_key.key_invalid"),
        ("quota", "rotate_key.key_quota"),
        ("server_error", "rotate_key.openai_error"),
    ],
)
def test_a_refused_new_key_changes_nothing(
    vercel: FakeVercel,
    openai: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    key: str,
) -> None:
    production(vercel)
    env = vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    vercel.reset()
    openai.mode = mode

    outcome = run(preview, vercel, openai)

    assert not outcome.ok
    assert outcome.summary.key == key
    assert outcome.data == {"changed": False}
    assert writes(vercel) == []
    assert vercel.received("PATCH") == []
    assert env["value"] == OLD_KEY
    assert_translatable(outcome)
    assert_hidden(NEW_KEY, caplog, outcome)


def test_a_key_openai_does_not_know_is_invalid_and_never_echoed(
    vercel: FakeVercel, openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    production(vercel)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    typo = "sk-proj-TYPOkey22222222222222222wrong"

    outcome = run(preview, vercel, openai, key=typo)

    assert outcome.summary.key == "rotate_key.key_invalid"
    assert vercel.received("PATCH") == []
    # The fake's 401 quotes the key whole, as a careless API might.
    assert typo in openai.received()[0].headers["authorization"]
    assert_hidden(typo, caplog, outcome)


def test_a_rate_limited_but_valid_key_is_used(vercel: FakeVercel, openai: FakeOpenAI) -> None:
    production(vercel)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    openai.mode = "rate_limit"
    outcome = run(preview, vercel, openai)
    assert outcome.ok
    assert outcome.details[0].key == "rotate_key.key_rate_limited"
    assert vercel.envs[0]["value"] == NEW_KEY


def test_a_key_that_cannot_be_checked_changes_nothing(
    vercel: FakeVercel, openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    production(vercel)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    openai.fail("GET", "/v1/models", Response(200, {}, delay=1.0))

    slow = run(preview, vercel, openai, timeout=0.4)
    refused = run(preview, vercel, openai, openai_base_url=f"http://127.0.0.1:{closed_port()}/v1")

    assert slow.summary.key == refused.summary.key == "rotate_key.key_unverified"
    assert slow.summary.params == {"error": "timeout"}
    assert refused.summary.params == {"error": "refused"}
    assert vercel.received("PATCH") == []
    assert_hidden(NEW_KEY, caplog, slow, refused)


@pytest.mark.parametrize("key", ["", "   ", "sk-proj-abc\ndef", "sk-proj-abc def", "sk-키"])
def test_an_empty_or_malformed_key_is_refused_before_any_request(
    vercel: FakeVercel, openai: FakeOpenAI, key: str
) -> None:
    production(vercel)
    preview = rotate.preview(**config(vercel))
    vercel.reset()
    outcome = run(preview, vercel, openai, key=key)
    assert not outcome.ok
    assert outcome.summary.key in ("rotate_key.no_key", "rotate_key.key_malformed")
    assert openai.received() == []
    assert vercel.received() == []


def test_a_variable_deleted_since_the_preview_is_reported_and_nothing_redeployed(
    vercel: FakeVercel, openai: FakeOpenAI
) -> None:
    production(vercel)
    env = vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    vercel.envs.remove(env)

    outcome = run(preview, vercel, openai)

    assert not outcome.ok
    assert outcome.summary.key == "rotate_key.update_failed"
    assert [d.key for d in outcome.details] == ["rotate_key.env_gone"]
    assert outcome.data == {"changed": False, "env_vars": []}
    assert vercel.received("POST", "/v13/deployments") == []
    assert_translatable(outcome)


def test_a_second_variable_failing_says_which_one_was_changed(
    vercel: FakeVercel, openai: FakeOpenAI
) -> None:
    production(vercel)
    first = vercel.add_env("OPENAI_API_KEY", OLD_KEY, target=["production"])
    second = vercel.add_env("OPENAI_API_KEY", OLD_KEY, target=["production", "preview"])
    preview = rotate.preview(**config(vercel))
    vercel.fail("PATCH", f".*/env/{second['id']}", Response(500, "boom"))

    outcome = run(preview, vercel, openai)

    assert not outcome.ok
    assert outcome.summary.key == "rotate_key.partly_updated"
    assert outcome.summary.params == {"updated": first["id"]}
    assert [d.key for d in outcome.details] == ["remediation.http.server_error"]
    assert outcome.data == {"changed": True, "env_vars": [first["id"]]}
    assert vercel.received("POST", "/v13/deployments") == []


def test_a_variable_vercel_refuses_to_create_is_reported(
    vercel: FakeVercel, openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    production(vercel)
    preview = rotate.preview(**config(vercel))
    refusal = {
        "created": [],
        "failed": [
            {
                "error": {
                    "code": "ENV_CONFLICT",
                    "message": f"Cannot store {NEW_KEY} for this target",
                    "key": "OPENAI_API_KEY",
                }
            }
        ],
    }
    vercel.fail("POST", r"/v10/projects/.*/env", Response(201, refusal))

    outcome = run(preview, vercel, openai)

    assert not outcome.ok
    assert outcome.summary.key == "rotate_key.update_failed"
    (reason,) = outcome.details
    assert reason.key == "rotate_key.create_refused"
    assert reason.params["error"].startswith("ENV_CONFLICT: Cannot store [redacted]")
    assert vercel.received("POST", "/v13/deployments") == []
    assert_hidden(NEW_KEY, caplog, outcome)


def test_a_failed_redeploy_after_the_update_says_the_key_needs_one(
    vercel: FakeVercel, openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    production(vercel)
    env = vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    vercel.fail("POST", "/v13/deployments", vercel_error(500, "internal_server_error", "boom"))

    outcome = run(preview, vercel, openai)

    assert not outcome.ok
    assert outcome.summary.key == "rotate_key.redeploy_failed"
    assert [d.key for d in outcome.details] == [
        "rotate_key.env_updated",
        "remediation.http.server_error",
    ]
    assert outcome.data["env_vars"] == [env["id"]]
    assert outcome.data["deployment"] is None
    assert env["value"] == NEW_KEY
    assert_translatable(outcome)
    assert_hidden(NEW_KEY, caplog, outcome)


def test_a_deployment_gone_before_the_change_changes_nothing(
    vercel: FakeVercel, openai: FakeOpenAI
) -> None:
    current = production(vercel)
    vercel.add_env("OPENAI_API_KEY", OLD_KEY)
    preview = rotate.preview(**config(vercel))
    vercel.deployments.remove(current)

    outcome = run(preview, vercel, openai)

    assert not outcome.ok
    assert outcome.summary.key == "rotate_key.deployment_gone"
    assert writes(vercel) == []


def test_rotation_execute_refuses_a_foreign_preview_or_a_changed_project(
    vercel: FakeVercel, openai: FakeOpenAI
) -> None:
    production(vercel)
    preview = rotate.preview(**config(vercel))
    foreign = run(preview.model_copy(update={"action": "rollback"}), vercel, openai)
    moved = run(preview, vercel, openai, project_id="prj_other")
    assert foreign.summary.key == "remediation.bad_preview"
    assert moved.summary.key == "remediation.config_changed"
    assert openai.received() == []


def test_every_rotation_sentence_is_used() -> None:
    ours = {key for key in catalogue.KO if key.startswith("rotate_key.")}
    assert ours
    assert sorted(ours - _literals()) == []
