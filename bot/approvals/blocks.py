"""How an approval request reads in Slack: what will be done, and then what was done."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.messages import Catalogue
from bot.slack.blocks import Blocks, actions, button, chunked_sections, context, header, section
from bot.slack.ids import ActionId
from bot.text import escape, fmt_time
from remediations.base import Outcome, Preview
from storage.approvals import State
from storage.models import ApprovalRequest

STATE_EMOJI: dict[str, str] = {
    State.PENDING: "🟡",
    State.EXECUTING: "⏳",
    State.SUCCEEDED: "✅",
    State.FAILED: "❌",
    State.DENIED: "✖️",
    State.EXPIRED: "⌛",
    State.INTERRUPTED: "⚠️",
    State.CANCELLED: "🚫",
}
MAX_DETAIL_LINES = 40


def render_request(
    request: ApprovalRequest, t: Catalogue, zone: ZoneInfo, approvers: list[str]
) -> tuple[str, Blocks]:
    """The request message, in whatever state the request is now."""
    preview = Preview.model_validate(request.preview)
    action = t(f"action.{request.action}")
    key = "approval.header" if request.needs_approval else "approval.header_auto"
    blocks: Blocks = [header(t(key, id=request.id, action=action))]
    lines = [f"*{t.render(preview.summary, user_text=escape)}*"]
    lines += [
        f"• {t.render(detail, user_text=escape)}" for detail in preview.details[:MAX_DETAIL_LINES]
    ]
    if len(preview.details) > MAX_DETAIL_LINES:
        lines.append(t("approval.more", count=len(preview.details) - MAX_DETAIL_LINES))
    blocks += chunked_sections(lines)

    since = request.requested_at
    who = t(
        "approval.requested",
        user=request.requested_by,
        at=fmt_time(request.requested_at, zone),
        expires=fmt_time(request.expires_at, zone, since=since),
    )
    if request.needs_approval:
        rule = (
            t("approval.rule_list", approvers=", ".join(f"<@{a}>" for a in approvers))
            if approvers
            else t("approval.rule_anyone")
        )
        who = f"{who} · {rule}"
    blocks.append(context(who))

    emoji = STATE_EMOJI.get(request.state, "•")
    decided = fmt_time(request.decided_at, zone, since=since) if request.decided_at else ""
    finished = fmt_time(request.finished_at, zone, since=since) if request.finished_at else ""
    if request.state == State.PENDING:
        blocks.append(
            actions(
                button(t("approval.approve"), ActionId.APPROVE, str(request.id), style="primary"),
                button(t("approval.deny"), ActionId.DENY, str(request.id), style="danger"),
                block_id=f"approval.{request.id}",
            )
        )
        return t("approval.fallback_pending", id=request.id, action=action), blocks

    state_line = t(
        f"approval.state.{request.state}",
        emoji=emoji,
        user=request.decided_by or "",
        decided=decided,
        finished=finished,
    )
    if request.outcome:
        outcome = Outcome.model_validate(request.outcome)
        state_line += f"\n*{t.render(outcome.summary, user_text=escape)}*"
        details = [f"• {t.render(d, user_text=escape)}" for d in outcome.details[:MAX_DETAIL_LINES]]
        blocks += chunked_sections([state_line, *details])
    else:
        blocks.append(section(state_line))
    state_name = t(f"approval.state_name.{request.state}")
    text = t("approval.fallback_state", id=request.id, action=action, state=state_name)
    return text, blocks
