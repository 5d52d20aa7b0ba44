"""Sentences of the runbook's clock (SPEC 7): reminders, snooze, follow-ups, hand-over."""

KO = {
    "reminder.ack": (
        "⏰ {mention}알림이 연 장애 #{id}을(를) 5분 동안 아무도 인지하지 않았습니다. "
        "*인지* 버튼을 눌러 장애 인지를 기록하세요."
    ),
    "reminder.diagnose": (
        "⏰ {mention}장애 #{id} 시작 후 15분이 지났지만 진단 기록이 없습니다. "
        "전체 진단을 실행하세요 (초기 대응)."
    ),
    "reminder.notice": (
        "⏰ {mention}장애 #{id}이(가) 30분째 복구되지 않았습니다. 고객 공지를 올리세요."
    ),
    "reminder.update": (
        "⏰ {mention}{minutes}분 동안 업데이트가 없습니다. 메모나 상태 변경으로 진행 상황을 "
        "남겨 주세요 (장애 #{id})."
    ),
    "reminder.postmortem": (
        "📝 {mention}장애 #{id} 복구 후 20시간이 지났습니다. 사후 분석 기한은 {due}입니다. "
        "빠진 것: {missing}"
    ),
    "reminder.overdue": (
        "🚨 {mention}장애 #{id}의 사후 분석 기한({due})이 지났습니다. 빠진 것: {missing}"
    ),
    "reminder.missing.cause": "원인",
    "reminder.missing.prevention": "재발 방지 대책",
    "reminder.missing.customer_report": "고객 사후 보고서 발송",
    "reminder.snooze_none": "심각도 {severity} 장애에는 업데이트 알림이 없습니다.",
    "reminder.snoozed": "💤 다음 업데이트 알림은 {at}입니다.",
    "button.reminder_triage": "전체 진단",
    "button.reminder_notice": "고객 공지",
    "button.reminder_snooze": "{minutes}분 뒤 다시 알림",
    "event.reminder": "⏰ 알림 `{reminder}`",
    "event.reminder_withheld": "⏸️ 알림 `{reminder}` 보류 (조건이 더 이상 맞지 않음)",
    "event.reminder_snoozed": "💤 업데이트 알림을 {minutes}분 미룸",
    "event.commander_changed": "지휘자 인계: {old} → {new}",
    "event.followup_added": "후속 조치 {number} 추가: {text} (담당 {owner}, 기한 {due})",
    "event.followup_done": "후속 조치 {number} 완료: {text}",
    "notice.commander": "🧭 <@{user}> 님이 지휘를 <@{old}> 님에서 <@{new}> 님께 넘겼습니다.",
    "notice.commander_first": "🧭 <@{user}> 님이 <@{new}> 님을 지휘자로 정했습니다.",
    "commander.ack": "장애 #{id}의 지휘자는 이제 <@{user}> 님입니다.",
    "commander.same": "<@{user}> 님은 이미 지휘자입니다.",
    "followup.ack": "후속 조치 {number}을(를) 추가했습니다 (담당 <@{owner}>, 기한 {due}).",
    "followup.done_ack": "후속 조치 {number}을(를) 완료했습니다.",
    "followup.list_title": "*장애 #{id}의 후속 조치*",
    "followup.list_empty": "장애 #{id}에는 후속 조치가 없습니다.",
    "followup.line": "{number}. {text} · 담당 {owner} · 기한 {due} · {state}",
    "followup.no_due": "없음",
    "followup.state.open": "진행 중",
    "followup.state.done": "완료",
    "followup.text_missing": "후속 조치 내용을 적어 주세요.",
    "followup.too_long": "후속 조치는 {limit}자까지입니다 (지금 {length}자).",
    "followup.bad_date": "날짜가 아닙니다: `{value}` (형식: `YYYY-MM-DD`)",
    "followup.past_date": "기한 {value}은(는) 지난 날짜입니다 (오늘 {today}).",
    "followup.no_such": "후속 조치 {number}이(가) 없습니다. 목록은 `/ailex followup list` 명령으로 보세요.",
    "followup.already_done": "후속 조치 {number}은(는) 이미 완료되었습니다.",
    "followup.dm": (
        "📌 후속 조치 기한({due})이 지났습니다: *{text}* (장애 #{id} {title}, {channel}). "
        "끝났다면 그 채널에서 다음 명령을 입력하세요: `/ailex followup done {number}`"
    ),
    "report.followups": "후속 조치",
    "person.unknown": "이 워크스페이스의 사용자가 아닙니다: `{person}`\n사용법: {usage}",
    "person.ambiguous": "여러 사용자가 맞습니다: `{person}` (한 명을 멘션으로 골라 주세요)\n"
    "사용법: {usage}",
    "person.bad": "사람이 아닙니다: `{person}` (멘션으로 적어 주세요)\n사용법: {usage}",
    "person.unchecked": "지금은 슬랙에서 사용자를 확인할 수 없습니다: `{person}`. 잠시 뒤 다시 시도하세요.",
    "error.commander_missing": "넘겨받을 사람을 `@` 멘션으로 적어 주세요.",
    "error.followup_missing": "후속 조치 내용을 적어 주세요.",
    "error.followup_number": "후속 조치 번호가 아닙니다: `{value}`",
    "error.followup_bad_date": "날짜가 아닙니다: `{value}` (형식: `YYYY-MM-DD`)",
    "help.commander": "`/ailex commander @사람` 지휘자 인계 (기록되고 카드에 표시)",
    "help.followup": (
        "`/ailex followup <내용> [@담당] [YYYY-MM-DD]` 후속 조치 추가, "
        "`followup done N` 완료, `followup list` 목록"
    ),
    "setting.update_reminders": (
        "심각도별 분 단위 목록 (예: `P1:30,P2:60`, 소수 허용, 0보다 커야 함)"
    ),
}

EN = {
    "reminder.ack": (
        "⏰ {mention}Nobody has acknowledged incident #{id}, opened by an alert, for 5 minutes. "
        "Press *Acknowledge* to record that it is seen."
    ),
    "reminder.diagnose": (
        "⏰ {mention}Incident #{id} started 15 minutes ago and no diagnosis has run. "
        "Run the full diagnosis (initial response)."
    ),
    "reminder.notice": (
        "⏰ {mention}Incident #{id} is still not resolved after 30 minutes. Post a customer notice."
    ),
    "reminder.update": (
        "⏰ {mention}No update for {minutes} minutes. Leave a note or change the status "
        "(incident #{id})."
    ),
    "reminder.postmortem": (
        "📝 {mention}Incident #{id} was resolved 20 hours ago; the post-incident review is due "
        "{due}. Missing: {missing}"
    ),
    "reminder.overdue": (
        "🚨 {mention}The post-incident review of incident #{id} is overdue (due {due}). "
        "Missing: {missing}"
    ),
    "reminder.missing.cause": "cause",
    "reminder.missing.prevention": "prevention measures",
    "reminder.missing.customer_report": "customer report sent",
    "reminder.snooze_none": "Incidents of severity {severity} have no update reminder.",
    "reminder.snoozed": "💤 The next update reminder is at {at}.",
    "button.reminder_triage": "Full diagnosis",
    "button.reminder_notice": "Customer notice",
    "button.reminder_snooze": "Remind again in {minutes} min",
    "event.reminder": "⏰ reminder `{reminder}`",
    "event.reminder_withheld": "⏸️ reminder `{reminder}` withheld (no longer true)",
    "event.reminder_snoozed": "💤 update reminder snoozed for {minutes} min",
    "event.commander_changed": "commander handed over: {old} → {new}",
    "event.followup_added": "follow-up {number} added: {text} (owner {owner}, due {due})",
    "event.followup_done": "follow-up {number} done: {text}",
    "notice.commander": "🧭 <@{user}> handed command over from <@{old}> to <@{new}>.",
    "notice.commander_first": "🧭 <@{user}> made <@{new}> the commander.",
    "commander.ack": "<@{user}> now commands incident #{id}.",
    "commander.same": "<@{user}> is the commander already.",
    "followup.ack": "Follow-up {number} added (owner <@{owner}>, due {due}).",
    "followup.done_ack": "Follow-up {number} is done.",
    "followup.list_title": "*Follow-ups of incident #{id}*",
    "followup.list_empty": "Incident #{id} has no follow-ups.",
    "followup.line": "{number}. {text} · owner {owner} · due {due} · {state}",
    "followup.no_due": "none",
    "followup.state.open": "open",
    "followup.state.done": "done",
    "followup.text_missing": "Say what the follow-up is.",
    "followup.too_long": "A follow-up is at most {limit} characters (this one is {length}).",
    "followup.bad_date": "`{value}` is not a date. Write it as `YYYY-MM-DD`.",
    "followup.past_date": "The due date {value} is in the past (today is {today}).",
    "followup.no_such": "There is no follow-up {number}. See `/ailex followup list`.",
    "followup.already_done": "Follow-up {number} is done already.",
    "followup.dm": (
        "📌 A follow-up is past its due date ({due}): *{text}* (incident #{id} {title}, "
        "{channel}). When it is done, type `/ailex followup done {number}` in that channel."
    ),
    "report.followups": "Follow-ups",
    "person.unknown": "`{person}` is not a user of this workspace.\nUsage: {usage}",
    "person.ambiguous": "Several users match `{person}`. Pick one with an `@` mention.\n"
    "Usage: {usage}",
    "person.bad": "`{person}` is not a person. Name them with an `@` mention.\nUsage: {usage}",
    "person.unchecked": "Slack cannot confirm `{person}` right now. Try again shortly.",
    "error.commander_missing": "Name the person who takes over with an `@` mention.",
    "error.followup_missing": "Say what the follow-up is.",
    "error.followup_number": "`{value}` is not a follow-up number.",
    "error.followup_bad_date": "`{value}` is not a date (`YYYY-MM-DD`).",
    "help.commander": "`/ailex commander @person` hands the incident over (recorded, on the card)",
    "help.followup": (
        "`/ailex followup <text> [@owner] [YYYY-MM-DD]` adds a follow-up, "
        "`followup done N` closes one, `followup list` lists them"
    ),
    "setting.update_reminders": (
        "minutes per severity (e.g. `P1:30,P2:60`, fractions allowed, above zero)"
    ),
}
