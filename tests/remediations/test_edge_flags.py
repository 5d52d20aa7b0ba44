"""maintenance / ai-degraded flags in Edge Config against the fake Vercel: what the preview
reads, the upsert it sends, the read-back, and its refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.messages import remediations as catalogue
from remediations import edge_flags
from tests.fakes.base import Response
from tests.fakes.vercel import TOKEN, FakeVercel, vercel_error
from tests.remediations.helpers import _literals, assert_translatable, closed_port, texts

TEAM = "team_ailex"


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel(team_id=TEAM) as fake:
        yield fake


def config(fake: FakeVercel, **overrides: Any) -> dict[str, Any]:
    return {
        "api_url": fake.url,
        "token": TOKEN,
        "team_id": fake.team_id,
        "edge_config_id": fake.edge_config_id,
        "timeout": 5.0,
        **overrides,
    }


def patches(fake: FakeVercel) -> list[Any]:
    return fake.received("PATCH", r"/v1/edge-config/.*/items")


def test_maintenance_on_previews_off_to_on_and_upserts_true(vercel: FakeVercel) -> None:
    vercel.edge_items["maintenance"] = False

    preview = edge_flags.preview(flag="maintenance", argument="on", **config(vercel))

    assert preview.blocked is None, preview.blocked
    assert preview.action == "maintenance"
    assert preview.summary.key == "edge_flag.preview"
    assert preview.summary.params == {"flag": "maintenance", "current": "off", "new": "on"}
    assert [d.key for d in preview.details] == [
        "edge_flag.effect.maintenance_on",
        "edge_flag.where",
    ]
    assert preview.data == {
        "flag": "maintenance",
        "edge_config_id": vercel.edge_config_id,
        "key": "maintenance",
        "value": True,
        "previous": False,
        "was_set": True,
    }
    (read,) = vercel.received("GET")
    assert read.path == f"/v1/edge-config/{vercel.edge_config_id}/item/maintenance"
    assert read.query == {"teamId": [TEAM]}
    assert_translatable(preview)
    vercel.reset()

    outcome = edge_flags.execute(preview, **config(vercel))

    assert outcome.ok, outcome
    (patch,) = patches(vercel)
    assert patch.path == f"/v1/edge-config/{vercel.edge_config_id}/items"
    assert patch.query == {"teamId": [TEAM]}
    assert patch.json() == {"items": [{"operation": "upsert", "key": "maintenance", "value": True}]}
    assert vercel.edge_items["maintenance"] is True
    # Read back after the write.
    assert [r.method for r in vercel.received()] == ["PATCH", "GET"]
    assert outcome.summary.key == "edge_flag.done"
    assert outcome.summary.params == {"flag": "maintenance", "state": "on"}
    assert outcome.data == {
        "flag": "maintenance",
        "edge_config_id": vercel.edge_config_id,
        "previous": "off",
        "value": True,
        "read_back": True,
    }
    assert_translatable(outcome)


def test_ai_degraded_off_turns_the_notice_off(vercel: FakeVercel) -> None:
    vercel.edge_items["ai_degraded"] = True
    preview = edge_flags.preview(flag="ai_degraded", argument="끄기", **config(vercel))
    assert preview.action == "ai-degraded"
    assert preview.summary.params == {"flag": "ai_degraded", "current": "on", "new": "off"}
    assert preview.details[0].key == "edge_flag.effect.ai_degraded_off"

    outcome = edge_flags.execute(preview, **config(vercel))

    assert outcome.ok
    assert vercel.edge_items["ai_degraded"] is False
    assert patches(vercel)[0].json()["items"] == [
        {"operation": "upsert", "key": "ai_degraded", "value": False}
    ]


def test_a_flag_never_set_reads_unset_and_is_created(vercel: FakeVercel) -> None:
    preview = edge_flags.preview(flag="ai_degraded", argument="on", **config(vercel))
    assert preview.blocked is None
    assert preview.summary.params["current"] == "unset"
    assert preview.data["was_set"] is False
    # It asked whether the Edge Config itself exists before calling the item unset.
    assert vercel.received("GET", f"/v1/edge-config/{vercel.edge_config_id}")
    outcome = edge_flags.execute(preview, **config(vercel))
    assert outcome.ok
    assert vercel.edge_items == {"ai_degraded": True}
    assert outcome.data["previous"] == "unset"


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("on", True),
        ("ON", True),
        (" true ", True),
        ("켜기", True),
        ("off", False),
        ("False", False),
    ],
)
def test_switch_words_are_understood(vercel: FakeVercel, argument: str, value: bool) -> None:
    vercel.edge_items["maintenance"] = "something else"
    preview = edge_flags.preview(flag="maintenance", argument=argument, **config(vercel))
    assert preview.blocked is None
    assert preview.data["value"] is value
    assert preview.summary.params["current"] == '"something else"'


@pytest.mark.parametrize(
    ("stored", "argument", "state"),
    [(True, "on", "on"), (False, "off", "off"), (None, "off", "off")],
)
def test_a_flag_already_in_that_state_is_refused(
    vercel: FakeVercel, stored: Any, argument: str, state: str
) -> None:
    vercel.edge_items["maintenance"] = stored
    preview = edge_flags.preview(flag="maintenance", argument=argument, **config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "edge_flag.already"
    assert preview.blocked.params == {"flag": "maintenance", "state": state}
    assert_translatable(preview)


def test_off_for_a_flag_never_set_is_already_off(vercel: FakeVercel) -> None:
    preview = edge_flags.preview(flag="maintenance", argument="off", **config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "edge_flag.already"


@pytest.mark.parametrize("argument", [None, "", "  "])
def test_a_missing_argument_gets_the_usage(vercel: FakeVercel, argument: str | None) -> None:
    preview = edge_flags.preview(flag="ai_degraded", argument=argument, **config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "edge_flag.usage"
    assert preview.blocked.params == {"action": "ai-degraded"}
    assert vercel.received() == []
    assert_translatable(preview)


@pytest.mark.parametrize("argument", ["maybe", "on off", "2", "enable please"])
def test_a_bad_argument_gets_the_usage_and_calls_nothing(vercel: FakeVercel, argument: str) -> None:
    preview = edge_flags.preview(flag="maintenance", argument=argument, **config(vercel))
    assert preview.blocked is not None
    assert preview.blocked.key == "edge_flag.bad_argument"
    assert preview.blocked.params["action"] == "maintenance"
    assert vercel.received() == []
    assert_translatable(preview)


@pytest.mark.parametrize(
    ("token", "edge_config_id", "missing"),
    [
        (TOKEN, None, "AILEX_EDGE_CONFIG_ID"),
        (None, "ecfg_ailex0001", "VERCEL_TOKEN"),
        (None, "", "VERCEL_TOKEN, AILEX_EDGE_CONFIG_ID"),
    ],
)
def test_edge_flags_not_configured_name_the_missing_setting(
    vercel: FakeVercel, token: str | None, edge_config_id: str | None, missing: str
) -> None:
    cfg = config(vercel, token=token, edge_config_id=edge_config_id)
    preview = edge_flags.preview(flag="maintenance", argument="on", **cfg)
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.not_configured"
    assert preview.blocked.params == {"settings": missing}
    assert vercel.received() == []


def test_an_unknown_edge_config_is_named(vercel: FakeVercel) -> None:
    cfg = config(vercel, edge_config_id="ecfg_wrong")
    preview = edge_flags.preview(flag="maintenance", argument="on", **cfg)
    assert preview.blocked is not None
    assert preview.blocked.key == "edge_flag.config_not_found"
    assert preview.blocked.params == {"edge_config_id": "ecfg_wrong"}


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (vercel_error(403, "forbidden", "Not authorized"), "remediation.http.auth"),
        (vercel_error(429, "rate_limited", "Rate limit exceeded"), "remediation.http.rate_limited"),
        (Response(500, "boom"), "remediation.http.server_error"),
        (
            Response(200, b"{oops", {"Content-Type": "application/json"}),
            "remediation.http.invalid_json",
        ),
        (Response(200, {"key": "maintenance"}), "remediation.http.bad_shape"),
        (Response(200, {"value": True}, delay=1.0), "remediation.http.timeout"),
    ],
)
def test_edge_flag_preview_failures_become_sentences(
    vercel: FakeVercel, response: Response, key: str
) -> None:
    vercel.fail("GET", r"/v1/edge-config/.*/item/.*", response)
    preview = edge_flags.preview(flag="maintenance", argument="on", **config(vercel, timeout=0.4))
    assert preview.blocked is not None
    assert preview.blocked.key == key
    assert TOKEN not in texts(preview)


def test_edge_flag_with_a_wrong_token_is_not_authorised(vercel: FakeVercel) -> None:
    preview = edge_flags.preview(
        flag="maintenance", argument="on", **config(vercel, token="wrong-token-XYZ")
    )
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.http.auth"
    assert "wrong-token-XYZ" not in texts(preview)


@pytest.mark.parametrize(
    ("response", "key"),
    [
        (vercel_error(403, "forbidden", "Not authorized"), "remediation.http.auth"),
        (vercel_error(400, "bad_request", "Invalid request"), "remediation.http.status"),
        (vercel_error(503, "unavailable", "down"), "remediation.http.server_error"),
        (Response(200, {"status": "ok"}, delay=1.0), "remediation.http.timeout"),
    ],
)
def test_edge_flag_write_failures_are_reported(
    vercel: FakeVercel, response: Response, key: str
) -> None:
    preview = edge_flags.preview(flag="maintenance", argument="on", **config(vercel))
    vercel.fail("PATCH", r"/v1/edge-config/.*/items", response)

    outcome = edge_flags.execute(preview, **config(vercel, timeout=0.5))

    assert not outcome.ok
    assert outcome.summary.key == "edge_flag.failed"
    assert outcome.summary.params == {"flag": "maintenance", "new": "on"}
    assert [d.key for d in outcome.details] == [key]
    assert_translatable(outcome)


def test_edge_flag_deleted_config_at_execution_is_named(vercel: FakeVercel) -> None:
    preview = edge_flags.preview(flag="maintenance", argument="on", **config(vercel))
    vercel.fail(
        "PATCH",
        r"/v1/edge-config/.*/items",
        vercel_error(404, "not_found", "The Edge Config could not be found."),
    )
    outcome = edge_flags.execute(preview, **config(vercel))
    assert not outcome.ok
    assert outcome.summary.key == "edge_flag.config_not_found"


def test_edge_flag_that_reads_back_otherwise_is_not_ok(vercel: FakeVercel) -> None:
    preview = edge_flags.preview(flag="maintenance", argument="on", **config(vercel))
    vercel.fail(
        "GET",
        r"/v1/edge-config/.*/item/maintenance",
        Response(200, {"key": "maintenance", "value": False, "edgeConfigId": "x"}),
    )
    outcome = edge_flags.execute(preview, **config(vercel))
    assert not outcome.ok
    assert outcome.summary.key == "edge_flag.not_confirmed"
    assert outcome.summary.params == {"flag": "maintenance", "expected": "on", "actual": "off"}
    assert_translatable(outcome)


def test_edge_flag_execute_refuses_another_config_or_preview(vercel: FakeVercel) -> None:
    preview = edge_flags.preview(flag="maintenance", argument="on", **config(vercel))
    moved = edge_flags.execute(preview, **config(vercel, edge_config_id="ecfg_other"))
    mixed = edge_flags.execute(
        preview.model_copy(update={"action": "ai-degraded"}), **config(vercel)
    )
    garbage = edge_flags.execute(preview.model_copy(update={"data": {}}), **config(vercel))
    assert moved.summary.key == "remediation.config_changed"
    assert mixed.summary.key == "remediation.bad_preview"
    assert garbage.summary.key == "remediation.bad_preview"
    assert patches(vercel) == []


def test_edge_flag_against_a_refused_port_fails_cleanly(vercel: FakeVercel) -> None:
    dead = config(vercel, api_url=f"http://127.0.0.1:{closed_port()}")
    preview = edge_flags.preview(flag="maintenance", argument="on", **dead)
    assert preview.blocked is not None
    assert preview.blocked.key == "remediation.http.refused"


def test_every_edge_flag_sentence_is_used() -> None:
    ours = {key for key in catalogue.KO if key.startswith("edge_flag.")}
    assert ours
    assert sorted(ours - _literals()) == []
