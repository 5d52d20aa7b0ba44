"""How a diagnosis reads in Slack: one message that fills in as checks finish."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.approvals.catalogue import ACTIONS
from bot.diagnosis.flows import Suggestion
from bot.diagnosis.scenarios import TRIAGE, offers_jwt_inspection
from bot.messages import Catalogue
from bot.slack.blocks import Blocks, actions, button, context, header, section
from bot.slack.ids import ActionId
from bot.text import clip, escape
from probes.base import Msg
from storage.models import CheckResult, DiagnosisRun

STATUS_EMOJI = {
    "ok": "✅",
    "warn": "⚠️",
    "fail": "❌",
    "error": "❗",
    "skipped": "⏭️",
}
PENDING_EMOJI = "⏳"
# Slack allows 50 blocks a message; keep room for the header, judgement and buttons.
MAX_CHECK_BLOCKS = 40


def check_line(t: Catalogue, check_id: str, result: CheckResult | None) -> str:
    title = t(f"check_title.{check_id}")
    if result is None:
        return f"{PENDING_EMOJI} *{title}* {t('diagnosis.pending')}"
    summary = t.render(Msg.model_validate(result.summary), user_text=escape)
    emoji = STATUS_EMOJI.get(result.status, "•")
    return f"{emoji} *{title}* {clip(summary, 600)} ({result.duration_ms} ms)"


def render_run(
    run: DiagnosisRun, results: Sequence[CheckResult], t: Catalogue
) -> tuple[str, Blocks]:
    """The run as it stands: finished checks with their answers, the rest pending."""
    by_id = {r.check_id: r for r in results}
    done = run.finished_at is not None
    name = t(f"scenario.{run.scenario}")
    blocks: Blocks = [header(t("diagnosis.header", scenario=name))]
    if done:
        state = t("diagnosis.done", seconds=f"{(run.duration_ms or 0) / 1000:.1f}")
    else:
        state = t("diagnosis.running", done=len(by_id), total=len(run.check_ids))
    blocks.append(context(t("diagnosis.context", user=run.requested_by, state=state)))
    lines = [check_line(t, check_id, by_id.get(check_id)) for check_id in run.check_ids]
    for line in lines[:MAX_CHECK_BLOCKS]:
        blocks.append(section(line))
    if done:
        blocks += judgement(run, t)
    text = t("diagnosis.fallback", scenario=name, state=state)
    return text, blocks


def judgement(run: DiagnosisRun, t: Catalogue) -> Blocks:
    """The runbook cases the findings point to, and buttons for the remediations offered."""
    suggestions = [Suggestion.model_validate(raw) for raw in run.suggestions or []]
    if not suggestions:
        return [section(t("diagnosis.no_case"))]
    lines = [f"*{t('diagnosis.judgement')}*"]
    buttons: list[dict[str, Any]] = []
    seen: set[str] = set()
    for suggestion in suggestions:
        reason = t.render(suggestion.reason, user_text=escape)
        if run.scenario == TRIAGE:
            reason = f"{t('scenario.' + suggestion.scenario)} · {reason}"
        lines.append(f"• {reason}")
        command, remediation = suggestion.command, suggestion.remediation
        if command and remediation and command not in seen and len(buttons) < 5:
            seen.add(command)
            buttons.append(
                button(
                    t("diagnosis.button", action=t(f"action.{remediation}")),
                    ActionId.REMEDIATE,
                    command,
                    style="danger" if ACTIONS[remediation].destructive else None,
                )
            )
    blocks: Blocks = [section("\n".join(lines))]
    if offers_jwt_inspection(run.scenario):
        buttons.append(button(t("diagnosis.button_jwt"), ActionId.JWT, str(run.id)))
    if buttons:
        blocks.append(actions(*buttons, block_id=f"diagnosis.{run.id}"))
    return blocks
