"""Sentences of alerts (SPEC 6): announcements, triage, recovery, acknowledgement."""

KO = {
    "alert.source.uptimerobot": "UptimeRobot",
    "alert.source.sentry": "Sentry",
    "alert.source.vercel": "Vercel",
    "alert.source.github": "GitHub",
    "alert.title.uptimerobot": "UptimeRobot: {name} 다운",
    "alert.title.sentry": "Sentry: {name}",
    "alert.title.vercel": "Vercel: {name} 배포 실패",
    "alert.title.github": "GitHub: {name} 실패",
    "alert.state.firing": "발생 중",
    "alert.state.resolved": "복구됨",
    "alert.state.info": "알림",
    "alert.announce": "🚨 {mention}{severity} 장애 #{id} 열림: *{title}* → {channel}",
    "alert.announce.no_channel": "채널 없음",
    "alert.announce.hint": "카드의 *인지* 버튼 또는 `/ailex ack` 명령으로 장애 인지를 기록하세요.",
    "alert.fallback": "{source} 알림: {name}",
    "alert.triage": "🔔 {mention}*{source}* 알림: *{name}*",
    "alert.triage.guess": "예상 상황: {scenario} · 심각도 {severity}",
    "alert.triage.more": "같은 알림을 {count}번 더 받았습니다 (마지막: {state}, {at})",
    "alert.triage.declared": "✅ 장애 #{incident} 선언: <@{user}>, {at}",
    "alert.triage.dismissed": "🚫 무시함: <@{user}>, {at}",
    "alert.decision.declared": "장애 선언",
    "alert.decision.dismissed": "무시",
    "alert.decision.pending": "결정 대기",
    "alert.info": "ℹ️ *{source}* 알림: {name}",
    "alert.recovery": "✅ 복구 신호: *{source}* {name}",
    "alert.recovery.next": (
        "복구 확인 진단을 다시 실행합니다. 서비스가 정상이면 해결 버튼으로 장애를 종료하세요. "
        "봇은 스스로 종료하지 않습니다."
    ),
    "alert.still_firing": "아직 발생 중인 알림: {alerts}",
    "alert.none_firing": "발생 중인 알림이 더 없습니다.",
    "alert.link": "원본 보기",
    "duration.seconds": "{seconds}초",
    "help.ack": "`/ailex ack` 알림이 연 장애를 인지 (처음 누른 사람이 지휘자)",
    "ack.ack": "장애 #{id} 인지를 기록했습니다. 이제 지휘자입니다.",
    "button.ack": "인지",
    "button.alert_declare": "장애 선언",
    "button.alert_dismiss": "무시",
    "card.awaiting_ack": "⏳ 인지 대기",
    "card.alerts": "🔔 알림: {alerts}",
    "card.acknowledged": "👀 인지: <@{user}>, {at} (인지까지 {mtta})",
    "notice.alert_joined": "🔔 *{source}* 알림이 이 장애에 합류했습니다: {name} ({scenario} 진단)",
    "notice.severity_by_alert": "⬆️ 알림에 따라 심각도를 {old} → {new}(으)로 올렸습니다 ({why}).",
    "notice.acknowledged": (
        "👀 <@{user}> 님이 장애를 인지했습니다 (인지까지 {mtta}). 이제 이 장애의 지휘자입니다."
    ),
    "event.alert": "🔔 {source} 알림: {text}",
    "event.alert_recovered": "✅ {source} 복구 신호: {text}",
    "event.acknowledged": "장애 인지 (인지까지 {mtta})",
    "report.phase.acknowledged": "장애 인지",
    "report.mtta": "인지까지 걸린 시간",
    "error.ack_not_alert": (
        "장애 #{id}은(는) 사람이 선언한 장애라 이미 인지되어 있습니다. "
        "인지는 알림이 연 장애에만 기록합니다."
    ),
    "error.ack_already": "이미 <@{user}> 님이 {at}에 인지했습니다.",
    "error.alert_unknown": "알림 #{id}을(를) 찾을 수 없습니다.",
    "error.alert_decided": "알림 #{id}은(는) 이미 처리되었습니다 ({decision}, <@{user}>).",
    "cli.args.alerts": "받은 알림 목록",
    "cli.alerts.none": "받은 알림이 없습니다.",
    "cli.alerts.header": "번호 | 출처 | 키 | 상태 | 요약 | 상황 | 받은 시각 | 장애",
}

EN = {
    "alert.source.uptimerobot": "UptimeRobot",
    "alert.source.sentry": "Sentry",
    "alert.source.vercel": "Vercel",
    "alert.source.github": "GitHub",
    "alert.title.uptimerobot": "UptimeRobot: {name} down",
    "alert.title.sentry": "Sentry: {name}",
    "alert.title.vercel": "Vercel: {name} deployment failed",
    "alert.title.github": "GitHub: {name} failed",
    "alert.state.firing": "firing",
    "alert.state.resolved": "recovered",
    "alert.state.info": "notice",
    "alert.announce": "🚨 {mention}{severity} incident #{id} opened: *{title}* → {channel}",
    "alert.announce.no_channel": "no channel",
    "alert.announce.hint": (
        "Press *Acknowledge* on the card or type `/ailex ack` to record that someone is on it."
    ),
    "alert.fallback": "{source} alert: {name}",
    "alert.triage": "🔔 {mention}*{source}* alert: *{name}*",
    "alert.triage.guess": "Likely scenario: {scenario} · severity {severity}",
    "alert.triage.more": "Repeats of the same alert: {count} (last: {state}, {at})",
    "alert.triage.declared": "✅ Declared incident #{incident}: <@{user}>, {at}",
    "alert.triage.dismissed": "🚫 Dismissed by <@{user}>, {at}",
    "alert.decision.declared": "declared",
    "alert.decision.dismissed": "dismissed",
    "alert.decision.pending": "waiting",
    "alert.info": "ℹ️ *{source}* notice: {name}",
    "alert.recovery": "✅ Recovery signal: *{source}* {name}",
    "alert.recovery.next": (
        "Running the diagnosis again to confirm recovery. If the service is healthy, resolve "
        "the incident with the button. The bot never resolves by itself."
    ),
    "alert.still_firing": "Still firing: {alerts}",
    "alert.none_firing": "No alert is firing any more.",
    "alert.link": "View at the source",
    "duration.seconds": "{seconds}s",
    "help.ack": "`/ailex ack` acknowledge an incident an alert opened (the first becomes commander)",
    "ack.ack": "Recorded that you acknowledged incident #{id}; you are now its commander.",
    "button.ack": "Acknowledge",
    "button.alert_declare": "Declare incident",
    "button.alert_dismiss": "Dismiss",
    "card.awaiting_ack": "⏳ awaiting acknowledgement",
    "card.alerts": "🔔 Alerts: {alerts}",
    "card.acknowledged": "👀 Acknowledged: <@{user}>, {at} (time to acknowledge {mtta})",
    "notice.alert_joined": "🔔 A *{source}* alert joined this incident: {name} (diagnosing {scenario})",
    "notice.severity_by_alert": "⬆️ An alert raised the severity {old} → {new} ({why}).",
    "notice.acknowledged": (
        "👀 <@{user}> acknowledged the incident (time to acknowledge {mtta}) and is now its "
        "commander."
    ),
    "event.alert": "🔔 {source} alert: {text}",
    "event.alert_recovered": "✅ {source} recovery signal: {text}",
    "event.acknowledged": "Acknowledged (time to acknowledge {mtta})",
    "report.phase.acknowledged": "Acknowledged",
    "report.mtta": "Time to acknowledge",
    "error.ack_not_alert": (
        "Incident #{id} was declared by a person, so it is acknowledged already. "
        "Acknowledgement is for incidents an alert opened."
    ),
    "error.ack_already": "<@{user}> acknowledged it already at {at}.",
    "error.alert_unknown": "There is no alert #{id}.",
    "error.alert_decided": "Alert #{id} was handled already ({decision}, <@{user}>).",
    "cli.args.alerts": "list received alerts",
    "cli.alerts.none": "No alerts received.",
    "cli.alerts.header": "id | source | key | state | summary | scenario | received | incident",
}
