"""Sentences of the remediations (remediations/) and the approval flow."""

KO: dict[str, str] = {
    # shared by the database remediations
    "remediation.pg_unreachable": "DB에 연결하지 못했습니다 ({target}): {error}",
    "remediation.pg_error": "DB 작업이 실패했습니다 ({target}): {error}",
    "remediation.bad_dsn": "DB 주소(DSN)를 읽을 수 없습니다: {error}",
    "remediation.bad_preview": "`{action}` 요청 내용이 올바르지 않아 실행하지 않았습니다.",
    "remediation.wrong_database": (
        "미리보기는 DB `{expected}` 기준인데 지금 연결은 `{actual}`입니다. 실행하지 않았습니다."
    ),
    "remediation.more": "…외 {count}개",
    # kill-idle-connections (상황 2 경우 B)
    "kill_idle.preview": (
        "유휴 연결 {count}개 종료 · DB `{database}` · {idle_minutes}분 넘게 idle"
    ),
    "kill_idle.connections": (
        "현재 연결: 이 DB {database}개 · 서버 전체 {server}/{max_connections}개"
    ),
    "kill_idle.backend": (
        "pid {pid} · {user} · {application} · {client} · {idle_min}분 {idle_sec}초째 idle"
    ),
    "kill_idle.not_permitted": "권한이 없어 제외한 유휴 연결 {count}개 (다른 역할·슈퍼유저 소유)",
    "kill_idle.nothing": (
        "DB `{database}`에 {idle_minutes}분 넘게 idle인 연결이 없습니다. 종료할 것이 없습니다."
    ),
    "kill_idle.none_permitted": (
        "DB `{database}`의 유휴 연결 {count}개는 모두 이 DB 계정으로 종료할 권한이 없습니다."
    ),
    "kill_idle.done": (
        "유휴 연결 {terminated}/{count}개 종료 · 건너뜀 {skipped}개 · 실패 {failed}개"
    ),
    "kill_idle.connections_change": (
        "연결 수: 이 DB {database_before} → {database_after}개 · "
        "서버 전체 {server_before} → {server_after}/{max_connections}개"
    ),
    "kill_idle.result.terminated": "pid {pid} ({user}, {application}): 종료함",
    "kill_idle.result.gone": "pid {pid}: 건너뜀 — 이미 끊긴 연결",
    "kill_idle.result.reused": "pid {pid}: 건너뜀 — 같은 pid의 새 연결 (미리보기 때와 다름)",
    "kill_idle.result.active": "pid {pid}: 건너뜀 — 지금 작업 중 ({state})",
    "kill_idle.result.worked": "pid {pid}: 건너뜀 — 미리보기 뒤에 쿼리를 실행함",
    "kill_idle.result.protected": "pid {pid}: 건너뜀 — 봇 자신 또는 다른 DB의 연결",
    "kill_idle.result.failed": "pid {pid}: 종료 실패 — {error}",
    # purge-audit-logs (상황 2 경우 C)
    "purge.preview": (
        "`{table}` 감사 로그 {count}행 삭제 · {cutoff} 이전 ({retention_days}일 보관)"
    ),
    "purge.sizes": "현재 크기: DB {database_size} · `{table}` {table_size}",
    "purge.left_out": (
        "미리보기 직전 트랜잭션이 쓴 오래된 행 {count}개는 너무 많아 이번 삭제에서 뺐습니다."
    ),
    "purge.nothing": (
        "{cutoff} 이전 감사 로그가 없습니다 ({retention_days}일 보관). 삭제할 것이 없습니다."
    ),
    "purge.no_table": "`{table}` 테이블이 없습니다. 삭제할 것이 없습니다.",
    "purge.partitioned": (
        "`{table}`는 파티션/상속 테이블이라 봇이 지울 수 없습니다. 직접 처리하세요."
    ),
    "purge.not_a_table": "`{table}`는 일반 테이블이 아닙니다 (뷰 등). 삭제하지 않습니다.",
    "purge.no_column": "`{table}`에 `{column}` 컬럼이 없어 오래된 행을 고를 수 없습니다.",
    "purge.bad_column": "`{table}.{column}`이 날짜/시간 타입이 아닙니다 ({type}).",
    "purge.no_privilege": "`{table}`에서 행을 조회·삭제할 권한이 없습니다.",
    "purge.table_changed": (
        "`{table}` 테이블이 미리보기 뒤에 다시 만들어졌습니다. 실행하지 않았습니다."
    ),
    "purge.other_server": "미리보기 때와 다른 DB 서버입니다. 실행하지 않았습니다.",
    "purge.stopped": "감사 로그 삭제 중단: {deleted}/{count}행 삭제 후 오류 — {error}",
    "purge.done": "감사 로그 {deleted}/{count}행 삭제 완료 ({cutoff} 이전)",
    "purge.size_change": "DB 크기: {before} → {after}",
    "purge.table_size_change": "`{table}` 크기: {before} → {after}",
    "purge.fewer": ("{missing}행은 미리보기 뒤에 이미 지워졌거나 바뀌어서 남겨 두었습니다."),
    "purge.vacuum_hint": "디스크 공간은 VACUUM(autovacuum)이 돈 뒤에 줄어듭니다.",
    # backup (상황 7)
    "backup.preview": "DB 백업: {target} → `{path}`",
    "backup.no_pg_dump": "pg_dump를 찾을 수 없습니다 (PATH). PostgreSQL 클라이언트를 설치하세요.",
    "backup.dir_failed": "백업 폴더 `{path}`를 쓸 수 없습니다: {error}",
    "backup.timeout": (
        "백업이 {seconds}초 안에 끝나지 않아 중단했습니다 ({target}). 미완성 파일은 지웠습니다."
    ),
    "backup.failed": "백업 실패 ({target}): {error}",
    "backup.incomplete": "pg_dump가 온전한 백업 파일을 남기지 않았습니다 ({target}). 지웠습니다.",
    "backup.done": "✅ 백업 완료: `{path}` ({size}, {seconds}초) · {target}",
}

EN: dict[str, str] = {
    # shared by the database remediations
    "remediation.pg_unreachable": "Could not connect to the database ({target}): {error}",
    "remediation.pg_error": "The database operation failed ({target}): {error}",
    "remediation.bad_dsn": "The database URL (DSN) cannot be read: {error}",
    "remediation.bad_preview": "The `{action}` request is malformed; nothing was run.",
    "remediation.wrong_database": (
        "The preview was for database `{expected}` but this connection is to `{actual}`. "
        "Nothing was run."
    ),
    "remediation.more": "…and {count} more",
    # kill-idle-connections (runbook 2, case B)
    "kill_idle.preview": (
        "Terminate {count} idle connections · database `{database}` · idle over {idle_minutes} min"
    ),
    "kill_idle.connections": (
        "Connections now: {database} on this database · {server}/{max_connections} server-wide"
    ),
    "kill_idle.backend": (
        "pid {pid} · {user} · {application} · {client} · idle {idle_min}m {idle_sec}s"
    ),
    "kill_idle.not_permitted": (
        "{count} idle connections left out: their roles may not be signalled by ours "
        "(another role's, or a superuser's)"
    ),
    "kill_idle.nothing": (
        "No connection on database `{database}` has been idle over {idle_minutes} min. "
        "Nothing to terminate."
    ),
    "kill_idle.none_permitted": (
        "All {count} idle connections on database `{database}` belong to roles this account "
        "may not terminate."
    ),
    "kill_idle.done": (
        "Terminated {terminated}/{count} idle connections · {skipped} skipped · {failed} failed"
    ),
    "kill_idle.connections_change": (
        "Connections: this database {database_before} → {database_after} · "
        "server-wide {server_before} → {server_after}/{max_connections}"
    ),
    "kill_idle.result.terminated": "pid {pid} ({user}, {application}): terminated",
    "kill_idle.result.gone": "pid {pid}: skipped — already disconnected",
    "kill_idle.result.reused": "pid {pid}: skipped — pid reused by a new connection",
    "kill_idle.result.active": "pid {pid}: skipped — busy now ({state})",
    "kill_idle.result.worked": "pid {pid}: skipped — ran a query after the preview",
    "kill_idle.result.protected": "pid {pid}: skipped — the bot's own or another database's",
    "kill_idle.result.failed": "pid {pid}: not terminated — {error}",
    # purge-audit-logs (runbook 2, case C)
    "purge.preview": (
        "Delete {count} audit-log rows from `{table}` · older than {cutoff} "
        "({retention_days}-day retention)"
    ),
    "purge.sizes": "Size now: database {database_size} · `{table}` {table_size}",
    "purge.left_out": (
        "{count} old rows written just before the preview are too many to track; "
        "they are left out of this purge."
    ),
    "purge.nothing": (
        "No audit-log rows older than {cutoff} ({retention_days}-day retention). Nothing to delete."
    ),
    "purge.no_table": "Table `{table}` does not exist. Nothing to delete.",
    "purge.partitioned": (
        "`{table}` is partitioned or inherited; the bot cannot purge it. Do it by hand."
    ),
    "purge.not_a_table": "`{table}` is not a plain table (a view?). Nothing deleted.",
    "purge.no_column": "`{table}` has no `{column}` column to tell old rows by.",
    "purge.bad_column": "`{table}.{column}` is not a date or timestamp ({type}).",
    "purge.no_privilege": "No privilege to select and delete rows of `{table}`.",
    "purge.table_changed": "`{table}` was recreated after the preview. Nothing was run.",
    "purge.other_server": "This is not the database server of the preview. Nothing was run.",
    "purge.stopped": "Audit-log purge stopped: {deleted}/{count} rows deleted, then — {error}",
    "purge.done": "Deleted {deleted}/{count} audit-log rows (older than {cutoff})",
    "purge.size_change": "Database size: {before} → {after}",
    "purge.table_size_change": "`{table}` size: {before} → {after}",
    "purge.fewer": (
        "{missing} rows were already gone or changed since the preview, and were left alone."
    ),
    "purge.vacuum_hint": "Disk space is freed once VACUUM (autovacuum) has run.",
    # backup (runbook 7)
    "backup.preview": "Database backup: {target} → `{path}`",
    "backup.no_pg_dump": "pg_dump is not on PATH. Install the PostgreSQL client.",
    "backup.dir_failed": "Cannot write the backup folder `{path}`: {error}",
    "backup.timeout": (
        "The backup did not finish within {seconds} s and was stopped ({target}). "
        "The partial file was deleted."
    ),
    "backup.failed": "Backup failed ({target}): {error}",
    "backup.incomplete": "pg_dump left no complete backup file ({target}); it was deleted.",
    "backup.done": "✅ Backup done: `{path}` ({size}, {seconds} s) · {target}",
}
