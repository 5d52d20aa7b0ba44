"""What every remediation returns: a preview of exactly what it will do, then an outcome.

`preview()` reads the world and fixes the targets (ids, pids, a cutoff, a count) in
`Preview.data`, which is stored with the approval request; `execute(preview, ...)` acts on
those targets and no others, and says what it did in an Outcome.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from probes.base import Msg


class Preview(BaseModel):
    """Exactly what an action would do, shown to the approver and bound to its execution."""

    action: str
    summary: Msg
    details: list[Msg] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    # Set when the action cannot be asked for now (nothing to do, not configured, bad
    # argument): the request is refused with this sentence and nothing is stored.
    blocked: Msg | None = None


class Outcome(BaseModel):
    """What an execution did."""

    ok: bool
    summary: Msg
    details: list[Msg] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


P = TypeVar("P", bound=BaseModel)


def plan_of(preview: Preview, plan: type[P]) -> P | None:
    """The plan the preview stored for execution, or None when the preview was blocked or its
    data is not such a plan (execution then refuses it as a bad preview)."""
    if preview.blocked:
        return None
    try:
        return plan.model_validate(preview.data)
    except ValidationError:
        return None
