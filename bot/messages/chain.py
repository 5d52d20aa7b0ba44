"""Sentences of the timeline hash chain (SPEC 9): `ailex verify`, the report's hash line."""

KO = {
    "report.chain": "타임라인 해시: {head} ({count}건)",
    "cli.args.verify": "장애 타임라인의 해시 체인 확인",
    "cli.args.head": "보고서에 적힌 타임라인 해시 (그 시점의 이벤트인지 확인)",
    "cli.args.hash": "<해시>",
    "verify.ok": "OK: 장애 #{id} 타임라인 {count}건이 모두 기록 그대로입니다. 해시: {head}",
    "verify.ok_head": "지정한 해시는 {seq}번째 이벤트의 해시입니다 (전체 {count}건 중).",
    "verify.edited": "장애 #{id} 타임라인이 기록과 다릅니다: {seq}번째 이벤트가 기록 후 수정되었습니다.",
    "verify.deleted": "장애 #{id} 타임라인이 기록과 다릅니다: {seq}번째 이벤트 앞의 이벤트가 삭제되었습니다.",
    "verify.inserted": "장애 #{id} 타임라인이 기록과 다릅니다: {seq}번째 이벤트는 기록되지 않고 끼워 넣어졌습니다.",
    "verify.truncated": "장애 #{id} 타임라인이 기록과 다릅니다: {seq}번째 이벤트부터 끝까지 삭제되었습니다.",
    "verify.head_unknown": "장애 #{id} 타임라인의 어떤 이벤트도 해시 {head}와 맞지 않습니다: 그 해시를 받은 뒤 기록이 다시 쓰였거나, 다른 장애의 해시입니다.",
    "verify.bad_head": "`--head` 값은 16진수 64자리 해시여야 합니다: {value}",
    "store.unreadable_timeline": "저장소의 타임라인을 해시 체인으로 이을 수 없습니다: 장애 #{incident}의 이벤트 {event} ({reason}). 저장소는 바뀌지 않았습니다. 그 이벤트를 확인한 뒤 다시 실행하세요.",
}

EN = {
    "report.chain": "Timeline hash: {head} (events: {count})",
    "cli.args.verify": "check an incident's hash-chained timeline",
    "cli.args.head": "a timeline hash from a report (checks it is an event of the chain)",
    "cli.args.hash": "<hash>",
    "verify.ok": "OK: incident #{id}: all {count} timeline events are as recorded. Head: {head}",
    "verify.ok_head": "The given hash is the hash of event {seq} (of {count}).",
    "verify.edited": "Incident #{id}'s timeline does not match its record: event {seq} was changed after it was recorded.",
    "verify.deleted": "Incident #{id}'s timeline does not match its record: events before event {seq} were deleted.",
    "verify.inserted": "Incident #{id}'s timeline does not match its record: event {seq} was inserted, never recorded.",
    "verify.truncated": "Incident #{id}'s timeline does not match its record: the events from event {seq} to the end were deleted.",
    "verify.head_unknown": "No event of incident #{id}'s timeline has the hash {head}: the timeline was rewritten after that hash was taken, or it is another incident's.",
    "verify.bad_head": "--head takes a hash of 64 hexadecimal digits: {value}",
    "store.unreadable_timeline": "The store's timeline cannot be hash-chained: event {event} of incident #{incident} ({reason}). The store was left unchanged. Look at that event, then run again.",
}
