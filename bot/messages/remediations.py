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
        "유휴 연결 {count}개 종료 · DB `{database}` · {idle_minutes}분 넘게 유휴"
    ),
    "kill_idle.connections": (
        "현재 연결: 이 DB {database}개 · 서버 전체 {server}/{max_connections}개"
    ),
    "kill_idle.backend": (
        "pid {pid} · {user} · {application} · {client} · {idle_min}분 {idle_sec}초째 유휴"
    ),
    "kill_idle.not_permitted": "권한이 없어 제외한 유휴 연결 {count}개 (다른 역할·슈퍼유저 소유)",
    "kill_idle.nothing": (
        "`{database}` DB에 {idle_minutes}분 넘게 유휴 상태인 연결이 없습니다. 종료할 것이 없습니다."
    ),
    "kill_idle.none_permitted": (
        "`{database}` DB의 유휴 연결 {count}개는 모두 이 DB 계정으로 종료할 권한이 없습니다."
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
        "`{table}` 테이블은 파티션/상속 테이블이라 봇이 지울 수 없습니다. 직접 처리하세요."
    ),
    "purge.not_a_table": "`{table}`: 일반 테이블이 아닙니다 (뷰 등). 삭제하지 않습니다.",
    "purge.no_column": "`{table}` 테이블에 `{column}` 컬럼이 없어 오래된 행을 고를 수 없습니다.",
    "purge.bad_column": "`{table}.{column}` 컬럼이 날짜/시간 타입이 아닙니다 ({type}).",
    "purge.no_privilege": "`{table}` 테이블에서 행을 조회·삭제할 권한이 없습니다.",
    "purge.table_changed": (
        "`{table}` 테이블이 미리보기 뒤에 다시 만들어졌습니다. 실행하지 않았습니다."
    ),
    "purge.other_server": "미리보기 때와 다른 DB 서버입니다. 실행하지 않았습니다.",
    "purge.stopped": "감사 로그 삭제 중단: {deleted}/{count}행 삭제 후 오류 — {error}",
    "purge.done": "감사 로그 {deleted}/{count}행 삭제 완료 ({cutoff} 이전)",
    "purge.size_change": "DB 크기: {before} → {after}",
    "purge.table_size_change": "`{table}` 크기: {before} → {after}",
    "purge.fewer": ("{missing}행은 미리보기 뒤에 이미 지워졌거나 바뀌어서 남겨 두었습니다."),
    "purge.vacuum_hint": "디스크 공간은 `VACUUM`(`autovacuum`)이 돈 뒤에 줄어듭니다.",
    # backup (상황 7)
    "backup.preview": "DB 백업: {target} → `{path}`",
    "backup.no_pg_dump": "pg_dump를 찾을 수 없습니다 (PATH). PostgreSQL 클라이언트를 설치하세요.",
    "backup.dir_failed": "`{path}` 백업 폴더에 쓸 수 없습니다: {error}",
    "backup.timeout": (
        "백업이 {seconds}초 안에 끝나지 않아 중단했습니다 ({target}). 미완성 파일은 지웠습니다."
    ),
    "backup.failed": "백업 실패 ({target}): {error}",
    "backup.incomplete": "pg_dump가 온전한 백업 파일을 남기지 않았습니다 ({target}). 지웠습니다.",
    "backup.done": "✅ 백업 완료: `{path}` ({size}, {seconds}초) · {target}",
    # shared by the Vercel remediations (remediations/vercel_api.py)
    "remediation.not_configured": "설정되지 않아 요청할 수 없습니다: {settings}",
    "remediation.config_changed": "미리보기 뒤에 {setting} 설정이 바뀌었습니다. 실행하지 않았습니다. 다시 요청하세요.",
    "remediation.unexpected": "예상하지 못한 오류로 멈췄습니다 ({error}). 봇 로그를 확인하세요.",
    "remediation.http.timeout": "{service}: {seconds}초 안에 응답이 없습니다.",
    "remediation.http.refused": "{service}: 연결이 거부됐습니다.",
    "remediation.http.dns": "{service}: 호스트 이름을 찾을 수 없습니다 (DNS).",
    "remediation.http.tls": "{service}: TLS 연결에 실패했습니다 (인증서/핸드셰이크).",
    "remediation.http.protocol": "{service}: 응답 도중 연결이 끊겼습니다.",
    "remediation.http.too_large": "{service}: 응답이 너무 큽니다 ({limit_kb}KB 초과).",
    "remediation.http.invalid_json": "{service}: 응답이 올바른 JSON이 아닙니다.",
    "remediation.http.bad_shape": "{service}: 예상과 다른 형식으로 응답했습니다.",
    "remediation.http.redirects": "{service}: 리다이렉트가 너무 많습니다 (루프 의심).",
    "remediation.http.bad_url": "{service}: API 주소가 잘못됐습니다.",
    "remediation.http.connect": "{service}: 연결하지 못했습니다.",
    "remediation.http.auth": "{service}: 인증/권한 실패 (HTTP {code}, {error}). 토큰과 팀 ID를 확인하세요.",
    "remediation.http.not_found": "{service}: 찾을 수 없습니다 (HTTP 404, {error}). 프로젝트/리소스 ID를 확인하세요.",
    "remediation.http.conflict": "{service}: 충돌로 거부됐습니다 (HTTP 409, {error}).",
    "remediation.http.rate_limited": "{service}: 요청 한도 초과 (HTTP 429, {error}). 잠시 뒤 다시 시도하세요.",
    "remediation.http.server_error": "{service}: 서버 오류 (HTTP {code}, {error}).",
    "remediation.http.status": "{service}: 예상 밖의 응답 (HTTP {code}, {error}).",
    # rollback (상황 1 경우 A)
    "rollback.title": "프로덕션 롤백 · 프로젝트 `{project}`",
    "rollback.preview": "프로덕션 롤백: `{target}` 배포로 되돌림 (지금은 `{current}`)",
    "rollback.target": "대상: {deployment} · {age} 전",
    "rollback.current": "대체될 현재 프로덕션: {deployment} · {age} 전",
    "rollback.no_current_serving": "지금 프로덕션을 서비스하는 READY 배포가 없습니다.",
    "rollback.bad_argument": "배포 ID(dpl_…)나 배포 URL이 아닙니다: `{argument}`.",
    "rollback.no_ready": "READY 상태인 프로덕션 배포가 없습니다 (최근 {count}개). 롤백할 대상이 없습니다.",
    "rollback.no_previous": (
        "현재 프로덕션 `{current}` 이전의 READY 프로덕션 배포가 최근 {count}개 안에 없습니다. "
        "배포 ID나 URL을 지정하세요."
    ),
    "rollback.not_found": "`{deployment}` 배포를 찾을 수 없습니다.",
    "rollback.other_project": "`{deployment}` 배포는 이 프로젝트가 아니라 `{project}` 프로젝트의 배포입니다.",
    "rollback.not_ready": "`{deployment}` 배포는 READY가 아니라 {state} 상태라 롤백할 수 없습니다.",
    "rollback.not_production": (
        "`{deployment}` 배포는 프로덕션용 빌드가 아닙니다 (프리뷰). 프리뷰 배포는 프로덕션 환경변수로 "
        "다시 빌드해야 하므로 롤백 대상이 아닙니다. 프로덕션 배포를 고르세요."
    ),
    "rollback.already_serving": "`{deployment}` 배포가 이미 프로덕션입니다. 롤백할 것이 없습니다.",
    "rollback.target_gone": "롤백 대상 `{deployment}` 배포가 더 이상 없습니다. 실행하지 않았습니다.",
    "rollback.production_changed": (
        "미리보기 뒤에 프로덕션이 바뀌었습니다 (`{expected}` → `{actual}`). 실행하지 않았습니다. "
        "다시 요청하세요."
    ),
    "rollback.already_done": "`{deployment}` 배포가 이미 프로덕션입니다 (먼저 전환됨). 아무것도 하지 않았습니다.",
    "rollback.conflict": "Vercel이 승격을 거부했습니다 (409 충돌): {error}",
    "rollback.failed": "`{deployment}` 배포로 롤백하지 못했습니다.",
    "rollback.done": "프로덕션이 `{deployment}` 배포로 바뀌었습니다 (이전: `{replaced}`).",
    "rollback.accepted": (
        "`{deployment}` 승격 요청은 접수됐지만 {seconds}초 안에 전환을 확인하지 못했습니다. "
        "잠시 뒤 상태를 확인하세요."
    ),
    # emergency-deploy (상황 6 긴급 배포)
    "emergency_deploy.title": "긴급 배포 (CI/CD 우회) · 프로젝트 `{project}`",
    "emergency_deploy.preview": (
        "긴급 배포 (CI/CD 우회): `{branch}` 브랜치의 최신 커밋을 프로덕션으로 빌드·배포 · 사유: {reason}"
    ),
    "emergency_deploy.project": "프로젝트: {project} ({project_id})",
    "emergency_deploy.base": "기준 배포 (브랜치·설정을 가져옴): {deployment} · {state} · {age} 전",
    "emergency_deploy.in_progress": "주의: 프로덕션 빌드가 이미 진행 중입니다: `{deployment}` ({state})",
    "emergency_deploy.no_reason": "긴급 배포 사유를 적어 주세요: `/ailex remediate emergency-deploy <사유>`",
    "emergency_deploy.no_base": "기준으로 삼을 프로덕션 배포가 없습니다. Vercel에서 직접 배포하세요.",
    "emergency_deploy.no_git": (
        "기준 `{deployment}` 배포는 Git에서 만든 배포가 아니라서 브랜치 최신 커밋을 빌드할 수 없습니다."
    ),
    "emergency_deploy.base_gone": "기준 `{deployment}` 배포가 더 이상 없습니다. 실행하지 않았습니다.",
    "emergency_deploy.failed": "`{branch}` 긴급 배포를 시작하지 못했습니다.",
    "emergency_deploy.errored": "긴급 `{deployment}` 배포가 바로 실패했습니다 ({state}).",
    "emergency_deploy.started": "🚀 긴급 배포 시작: `{deployment}` ({state}) · `{branch}` 최신 커밋",
    "emergency_deploy.watch": "빌드는 몇 분 걸립니다. `/ailex diagnose deploy`로 진행을 확인하세요.",
    # maintenance / ai-degraded (Edge Config 플래그)
    "edge_flag.title": "`{flag}` 플래그 변경",
    "edge_flag.preview": "`{flag}` 플래그: `{current}` → `{new}`",
    "edge_flag.where": "Edge Config `{edge_config_id}` · 항목 `{item}`",
    "edge_flag.usage": "사용법: `/ailex remediate {action} on|off` (`켜기`/`끄기`, `true`/`false`도 됩니다)",
    "edge_flag.bad_argument": "알 수 없는 값입니다: `{argument}`. 사용법: `/ailex remediate {action} on|off`",
    "edge_flag.already": "`{flag}` 플래그는 이미 `{state}` 상태입니다. 바꿀 것이 없습니다.",
    "edge_flag.config_not_found": "`{edge_config_id}` Edge Config를 찾을 수 없습니다. AILEX_EDGE_CONFIG_ID를 확인하세요.",
    "edge_flag.failed": "`{flag}` 플래그를 `{new}` 상태로 바꾸지 못했습니다.",
    "edge_flag.not_confirmed": "`{flag}` 플래그를 썼지만 다시 읽은 값이 `{actual}` 상태입니다 (기대: `{expected}`).",
    "edge_flag.done": "✅ `{flag}` → `{state}` (다시 읽어 확인함)",
    "edge_flag.propagation": "사이트 전체에 반영되기까지 몇 초 걸릴 수 있습니다.",
    "edge_flag.effect.maintenance_on": "사이트가 모든 방문자에게 점검 페이지를 보여줍니다.",
    "edge_flag.effect.maintenance_off": "점검 페이지를 내리고 사이트를 정상 서비스합니다.",
    "edge_flag.effect.ai_degraded_on": (
        'AI 기능 페이지에 "일시적으로 AI 기능을 사용할 수 없습니다" 안내를 표시합니다 (기존 데이터 조회는 유지).'
    ),
    "edge_flag.effect.ai_degraded_off": "AI 기능 안내를 내리고 AI 기능을 다시 엽니다.",
    # rotate-openai-key (상황 3 경우 B)
    "rotate_key.title": "OPENAI_API_KEY 교체 · 프로젝트 `{project}`",
    "rotate_key.preview": "프로덕션 OPENAI_API_KEY 교체 후 재배포 · 프로젝트 `{project}` · 새 키는 승인할 때 입력",
    "rotate_key.check_first": "새 키는 먼저 OpenAI `/models`로 확인하고, 유효할 때만 바꿉니다.",
    "rotate_key.env": "바꿀 환경변수: OPENAI_API_KEY `{id}` · 적용 환경 {targets} · {type}",
    "rotate_key.shared": "`{id}` 변수는 {targets}에도 쓰여서 그 환경들도 새 키를 받습니다.",
    "rotate_key.env_missing": "프로덕션용 OPENAI_API_KEY가 없습니다: 새로 만듭니다 (`encrypted`, `production`).",
    "rotate_key.redeploy": "그다음 현재 프로덕션을 다시 빌드해 새 키를 적용: {deployment} · {age} 전",
    "rotate_key.no_argument": (
        "이 작업은 인자를 받지 않습니다. 새 키는 승인할 때 입력 창에 넣으세요. "
        "채널에 키를 붙여넣었다면 그 키는 폐기하세요."
    ),
    "rotate_key.no_deployment": "다시 빌드할 READY 프로덕션 배포가 없습니다 (최근 {count}개).",
    "rotate_key.no_key": "새 키가 비어 있습니다. 아무것도 바꾸지 않았습니다.",
    "rotate_key.key_malformed": "새 키에 공백이나 쓸 수 없는 문자가 있습니다. 아무것도 바꾸지 않았습니다.",
    "rotate_key.key_invalid": "새 키가 유효하지 않습니다 (OpenAI 401). 아무것도 바꾸지 않았습니다.",
    "rotate_key.key_quota": "새 키의 잔액/한도가 없습니다 (OpenAI 429 insufficient_quota). 아무것도 바꾸지 않았습니다.",
    "rotate_key.key_forbidden": "OpenAI가 새 키를 거부했습니다 ({code}). 아무것도 바꾸지 않았습니다.",
    "rotate_key.openai_error": "OpenAI 서버 오류(HTTP {code})로 새 키를 확인하지 못했습니다. 아무것도 바꾸지 않았습니다.",
    "rotate_key.key_unverified": "새 키를 확인하지 못했습니다 ({error}). 아무것도 바꾸지 않았습니다.",
    "rotate_key.key_rate_limited": "OpenAI가 요청 한도(429)로 답했지만 키 인증은 통과했습니다.",
    "rotate_key.deployment_gone": "다시 빌드할 `{deployment}` 배포가 더 이상 없습니다. 아무것도 바꾸지 않았습니다.",
    "rotate_key.env_gone": "`{id}` 환경변수가 미리보기 뒤에 지워졌습니다.",
    "rotate_key.create_refused": "Vercel이 환경변수 생성을 거부했습니다: {error}",
    "rotate_key.update_failed": "환경변수를 바꾸지 못했습니다. 키는 그대로입니다.",
    "rotate_key.partly_updated": "환경변수 일부만 바뀌었습니다 ({updated}). 나머지는 그대로입니다. Vercel에서 확인하세요.",
    "rotate_key.env_updated": "환경변수 `{id}` 값을 바꿨습니다.",
    "rotate_key.env_created": "`{id}` 환경변수를 만들었습니다 (`production`).",
    "rotate_key.redeploy_failed": (
        "키는 바꿨지만 재배포를 시작하지 못했습니다. 재배포해야 새 키가 적용됩니다 "
        "(`/ailex remediate emergency-deploy <사유>` 또는 `vercel --prod`)."
    ),
    "rotate_key.done": "✅ OPENAI_API_KEY 교체 완료 · 재배포 시작: `{deployment}` ({state})",
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
    # shared by the Vercel remediations (remediations/vercel_api.py)
    "remediation.not_configured": "Not configured, so it cannot be requested: {settings}",
    "remediation.config_changed": "{setting} changed after the preview. Nothing was run; ask again.",
    "remediation.unexpected": "Stopped on an unexpected error ({error}). See the bot's log.",
    "remediation.http.timeout": "{service}: no answer within {seconds}s.",
    "remediation.http.refused": "{service}: connection refused.",
    "remediation.http.dns": "{service}: host name not found (DNS).",
    "remediation.http.tls": "{service}: TLS failure (certificate or handshake).",
    "remediation.http.protocol": "{service}: the connection broke off mid-answer.",
    "remediation.http.too_large": "{service}: answer too large (over {limit_kb} KB).",
    "remediation.http.invalid_json": "{service}: the answer is not valid JSON.",
    "remediation.http.bad_shape": "{service}: the answer is not in the expected shape.",
    "remediation.http.redirects": "{service}: too many redirects (a loop?).",
    "remediation.http.bad_url": "{service}: the API URL is invalid.",
    "remediation.http.connect": "{service}: could not connect.",
    "remediation.http.auth": "{service}: not authorised (HTTP {code}, {error}). Check the token and team id.",
    "remediation.http.not_found": "{service}: not found (HTTP 404, {error}). Check the project or resource id.",
    "remediation.http.conflict": "{service}: refused as a conflict (HTTP 409, {error}).",
    "remediation.http.rate_limited": "{service}: rate limited (HTTP 429, {error}). Try again shortly.",
    "remediation.http.server_error": "{service}: server error (HTTP {code}, {error}).",
    "remediation.http.status": "{service}: unexpected answer (HTTP {code}, {error}).",
    # rollback (runbook 1, case A)
    "rollback.title": "Production rollback · project `{project}`",
    "rollback.preview": "Production rollback: back to deployment `{target}` (now `{current}`)",
    "rollback.target": "Target: {deployment} · {age} old",
    "rollback.current": "Replaces the current production: {deployment} · {age} old",
    "rollback.no_current_serving": "No READY deployment serves production now.",
    "rollback.bad_argument": "`{argument}` is not a deployment id (dpl_…) or deployment URL.",
    "rollback.no_ready": "No READY production deployment (last {count}). There is nothing to roll back to.",
    "rollback.no_previous": (
        "No READY production deployment older than the current `{current}` among the last {count}. "
        "Name a deployment id or URL."
    ),
    "rollback.not_found": "Deployment `{deployment}` not found.",
    "rollback.other_project": "Deployment `{deployment}` belongs to project `{project}`, not this one.",
    "rollback.not_ready": "Deployment `{deployment}` is {state}, not READY: it cannot be rolled back to.",
    "rollback.not_production": (
        "Deployment `{deployment}` was not built for production (a preview). A preview must be "
        "rebuilt with production's environment, so it is not a rollback target. Pick a production one."
    ),
    "rollback.already_serving": "Deployment `{deployment}` already serves production. Nothing to roll back.",
    "rollback.target_gone": "The rollback target `{deployment}` no longer exists. Nothing was run.",
    "rollback.production_changed": (
        "Production changed after the preview (`{expected}` → `{actual}`). Nothing was run; ask again."
    ),
    "rollback.already_done": (
        "Deployment `{deployment}` already serves production (switched meanwhile). Nothing was done."
    ),
    "rollback.conflict": "Vercel refused the promotion (409 conflict): {error}",
    "rollback.failed": "Could not roll back to `{deployment}`.",
    "rollback.done": "Production now serves `{deployment}` (was `{replaced}`).",
    "rollback.accepted": (
        "The promotion of `{deployment}` was accepted but not seen live within {seconds}s. "
        "Check again shortly."
    ),
    # emergency-deploy (runbook 6, emergency deploy)
    "emergency_deploy.title": "Emergency deploy (bypassing CI/CD) · project `{project}`",
    "emergency_deploy.preview": (
        "Emergency deploy (bypassing CI/CD): build the latest commit of `{branch}` for production · "
        "reason: {reason}"
    ),
    "emergency_deploy.project": "Project: {project} ({project_id})",
    "emergency_deploy.base": "Based on (branch and settings): {deployment} · {state} · {age} old",
    "emergency_deploy.in_progress": "Note: a production build is already running: `{deployment}` ({state})",
    "emergency_deploy.no_reason": "Give a reason for the emergency deploy: `/ailex remediate emergency-deploy <reason>`",
    "emergency_deploy.no_base": "No production deployment to base it on. Deploy from Vercel directly.",
    "emergency_deploy.no_git": (
        "The base deployment `{deployment}` was not made from Git, so the branch's latest commit "
        "cannot be built from it."
    ),
    "emergency_deploy.base_gone": "The base deployment `{deployment}` no longer exists. Nothing was run.",
    "emergency_deploy.failed": "Could not start the emergency deploy of `{branch}`.",
    "emergency_deploy.errored": "Emergency deploy `{deployment}` failed at once ({state}).",
    "emergency_deploy.started": "🚀 Emergency deploy started: `{deployment}` ({state}) · latest commit of `{branch}`",
    "emergency_deploy.watch": "A build takes minutes. Follow it with `/ailex diagnose deploy`.",
    # maintenance / ai-degraded (Edge Config flags)
    "edge_flag.title": "Switch the `{flag}` flag",
    "edge_flag.preview": "`{flag}` flag: {current} → {new}",
    "edge_flag.where": "Edge Config `{edge_config_id}` · item `{item}`",
    "edge_flag.usage": "Usage: `/ailex remediate {action} on|off` (`true`/`false` and `켜기`/`끄기` work too)",
    "edge_flag.bad_argument": "`{argument}` is not a value it knows. Usage: `/ailex remediate {action} on|off`",
    "edge_flag.already": "`{flag}` is already {state}. Nothing to change.",
    "edge_flag.config_not_found": "Edge Config `{edge_config_id}` not found. Check AILEX_EDGE_CONFIG_ID.",
    "edge_flag.failed": "Could not switch `{flag}` {new}.",
    "edge_flag.not_confirmed": "`{flag}` was written but reads back as {actual} (expected {expected}).",
    "edge_flag.done": "✅ `{flag}` → {state} (read back and confirmed)",
    "edge_flag.propagation": "The site may take a few seconds to see it everywhere.",
    "edge_flag.effect.maintenance_on": "The site shows the maintenance page to every visitor.",
    "edge_flag.effect.maintenance_off": "The maintenance page comes down; the site serves normally.",
    "edge_flag.effect.ai_degraded_on": (
        'AI pages show "AI features are temporarily unavailable" (existing data stays readable).'
    ),
    "edge_flag.effect.ai_degraded_off": "The AI notice comes down and AI features reopen.",
    # rotate-openai-key (runbook 3, case B)
    "rotate_key.title": "Replace OPENAI_API_KEY · project `{project}`",
    "rotate_key.preview": "Replace production's OPENAI_API_KEY and redeploy · project `{project}` · the new key is entered on approval",
    "rotate_key.check_first": "The new key is checked with OpenAI `/models` first and used only if valid.",
    "rotate_key.env": "Variable to change: OPENAI_API_KEY `{id}` · environments {targets} · {type}",
    "rotate_key.shared": "`{id}` is shared with {targets}: those environments get the new key too.",
    "rotate_key.env_missing": "Production has no OPENAI_API_KEY: one is created (encrypted, production).",
    "rotate_key.redeploy": "Then production is rebuilt to pick the new key up: {deployment} · {age} old",
    "rotate_key.no_argument": (
        "This action takes no argument. Enter the new key in the form on approval. "
        "If you pasted a key into the channel, revoke that key."
    ),
    "rotate_key.no_deployment": "No READY production deployment to rebuild (last {count}).",
    "rotate_key.no_key": "The new key is empty. Nothing was changed.",
    "rotate_key.key_malformed": "The new key holds spaces or characters a key cannot have. Nothing was changed.",
    "rotate_key.key_invalid": "The new key is invalid (OpenAI 401). Nothing was changed.",
    "rotate_key.key_quota": "The new key has no quota left (OpenAI 429 insufficient_quota). Nothing was changed.",
    "rotate_key.key_forbidden": "OpenAI refused the new key ({code}). Nothing was changed.",
    "rotate_key.openai_error": "OpenAI answered a server error (HTTP {code}); the new key is unverified. Nothing was changed.",
    "rotate_key.key_unverified": "The new key could not be checked ({error}). Nothing was changed.",
    "rotate_key.key_rate_limited": "OpenAI answered rate limited (429), but the key authenticated.",
    "rotate_key.deployment_gone": "The deployment to rebuild, `{deployment}`, no longer exists. Nothing was changed.",
    "rotate_key.env_gone": "Variable `{id}` was deleted after the preview.",
    "rotate_key.create_refused": "Vercel refused to create the variable: {error}",
    "rotate_key.update_failed": "The variable could not be changed. The key is as it was.",
    "rotate_key.partly_updated": "Only some variables were changed ({updated}); the rest are as they were. Check Vercel.",
    "rotate_key.env_updated": "Variable `{id}` now holds the new key.",
    "rotate_key.env_created": "Variable `{id}` created (production).",
    "rotate_key.redeploy_failed": (
        "The key was replaced but the redeploy did not start. It takes effect only after a redeploy "
        "(`/ailex remediate emergency-deploy <reason>` or `vercel --prod`)."
    ),
    "rotate_key.done": "✅ OPENAI_API_KEY replaced · redeploy started: `{deployment}` ({state})",
}
