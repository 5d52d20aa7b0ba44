"""Sentences of the diagnosis checks (probes/) and the scenario catalogue."""

KO: dict[str, str] = {
    "check.skipped": "설정되지 않음: {settings}",
    "check.unexpected": "점검 중 예기치 못한 오류 ({error})",
    # -- HTTP failures shared by every probe (probes/http.py) ----------------------------
    "check.http.timeout": "{service}: {seconds}초 안에 응답 없음",
    "check.http.refused": "{service}: 연결 거부됨",
    "check.http.dns": "{service}: 호스트 이름을 찾을 수 없음 (DNS)",
    "check.http.tls": "{service}: TLS 연결 실패 (인증서/핸드셰이크)",
    "check.http.protocol": "{service}: 응답 도중 연결이 끊김",
    "check.http.too_large": "{service}: 응답이 너무 큼 ({limit_kb}KB 초과)",
    "check.http.invalid_json": "{service}: 응답이 올바른 JSON이 아님",
    "check.http.bad_shape": "{service}: 예상과 다른 응답 형식",
    "check.http.redirects": "{service}: 리다이렉트가 너무 많음 (루프 의심)",
    "check.http.bad_url": "{service}: 잘못된 URL",
    "check.http.connect": "{service}: 연결 실패",
    "check.http.auth": "{service}: 인증 실패 (HTTP {code}), 토큰 확인 필요",
    "check.http.not_found": "{service}: 찾을 수 없음 (HTTP 404), ID 설정 확인 필요",
    "check.http.rate_limited": "{service}: 요청 한도 초과 (HTTP 429)",
    "check.http.server_error": "{service}: 서버 오류 (HTTP {code})",
    "check.http.status": "{service}: 예상 밖의 응답 (HTTP {code})",
    # -- 상황 1: site, DNS, Vercel, status pages ----------------------------------------
    "check.site.up": "{url} 정상 응답 {code} ({ms}ms)",
    "check.site.down": "{url} 서버 오류 {code} ({ms}ms)",
    "check.site.client_error": "{url} 응답 {code} ({ms}ms): 클라이언트 오류",
    "check.dns.vercel": "{domain} → {target}: Vercel을 가리킴 ({ms}ms)",
    "check.dns.not_vercel": "{domain} → {target}: Vercel이 아님 (프록시 뒤일 수 있음)",
    "check.dns.nxdomain": "{domain}: 도메인이 존재하지 않음 (NXDOMAIN)",
    "check.dns.servfail": "{domain}: 네임서버 오류 (SERVFAIL)",
    "check.dns.timeout": "{domain}: {seconds}초 안에 DNS 응답 없음",
    "check.dns.no_answer": "{domain}: A/AAAA/CNAME 레코드 없음",
    "check.dns.error": "{domain}: DNS 조회 실패",
    "check.dns.resolver": "{domain}: DNS 리졸버를 설정할 수 없음",
    "check.dns.bad_name": "잘못된 도메인 이름: {domain}",
    "check.vercel.current": "현재 프로덕션: {deployment} ({age} 전 배포)",
    "check.vercel.recent": "{minutes}분 전에 프로덕션 배포됨: {deployment}",
    "check.vercel.recent_before_incident": (
        "장애 시작 {minutes}분 전에 프로덕션 배포됨: {deployment}"
    ),
    "check.vercel.newer_failed": "최신 프로덕션 배포 실패 ({code}): {failed}, 현재는 {deployment}",
    "check.vercel.no_ready": "READY 상태인 프로덕션 배포 없음 (최근 {count}개)",
    "check.vercel.none": "프로덕션 배포 기록 없음",
    "check.vercel.events_clean": "{deployment}: 최근 로그 {events}건에 오류 없음",
    "check.vercel.events_errors": "{deployment}: 오류 로그 {count}줄, 마지막: {last}",
    "check.statuspage.operational": "{name} 상태 페이지: 정상 운영 중",
    "check.statuspage.degraded": (
        "{name} 상태 페이지: 일부 장애, {headline} (영향 구성요소 {components}개, "
        "진행 중 사고 {incidents}건)"
    ),
    "check.statuspage.outage": (
        "{name} 상태 페이지: 주요 장애, {headline} (영향 구성요소 {components}개, "
        "진행 중 사고 {incidents}건)"
    ),
    # -- 상황 2: database -----------------------------------------------------------------
    "check.db.ping": "DB 연결 정상: SELECT 1 {rtt_ms}ms (접속 {connect_ms}ms)",
    "check.db.auth": "DB 인증 실패: {target} (사용자/비밀번호 확인)",
    "check.db.no_database": "DB가 존재하지 않음: {target}",
    "check.db.refused": "DB 연결 거부: {target}",
    "check.db.dns": "DB 호스트를 찾을 수 없음: {target}",
    "check.db.timeout": "DB 연결 시간 초과 ({seconds}초): {target}",
    "check.db.tls": "DB TLS/SSL 연결 실패: {target}",
    "check.db.connect": "DB 연결 실패: {target}",
    "check.db.bad_dsn": "SUPABASE_DB_URL 형식이 잘못됨",
    "check.db.query_timeout": "DB 쿼리 시간 초과 ({seconds}초): {target}",
    "check.db.query": "DB 쿼리 실패 (SQLSTATE {sqlstate}): {target}",
    "check.db.connections_ok": (
        "DB 연결 {total}/{max} ({percent}%), {minutes}분 넘은 유휴 연결 {idle}개"
    ),
    "check.db.connections_high": (
        "DB 연결 많음: {total}/{max} ({percent}%), {minutes}분 넘은 유휴 연결 {idle}개"
    ),
    "check.db.connections_full": (
        "DB 연결 한계 임박: {total}/{max} ({percent}%), {minutes}분 넘은 유휴 연결 {idle}개"
    ),
    "check.db.size_ok": "DB 용량 {size_mb}MB / {limit_mb}MB ({percent}%)",
    "check.db.size_high": (
        "DB 용량 경고: {size_mb}MB / {limit_mb}MB ({percent}%), 가장 큰 테이블 {largest}"
    ),
    "check.db.size_full": (
        "DB 용량 한계: {size_mb}MB / {limit_mb}MB ({percent}%), 가장 큰 테이블 {largest}"
    ),
    "check.db.audit_old": "{days}일 지난 감사 로그 {count}행 (정리 가능)",
    "check.db.audit_clean": "{days}일 지난 감사 로그 없음",
    "check.db.audit_missing": "`public.audit_logs` 테이블 없음 (DB 주소 확인 필요)",
    "check.db.audit_no_created_at": "`public.audit_logs` 테이블에 `created_at` 열이 없음",
    # -- 상황 3: OpenAI ---------------------------------------------------------------------
    "check.openai.key_ok": "OpenAI API 키 정상 (모델 {models}개)",
    "check.openai.key_invalid": "OpenAI API 키가 거부됨 (401): 만료 또는 폐기 의심",
    "check.openai.quota": "OpenAI 잔액/한도 소진 (insufficient_quota)",
    "check.openai.rate_limited": "OpenAI 요청 한도 초과 (429): 사용량 급증 의심",
    "check.openai.server_error": "OpenAI 서버 오류 (HTTP {code})",
    "check.openai.forbidden": "OpenAI 접근 거부 ({code})",
    # -- 상황 4: Supabase Auth and JWTs -------------------------------------------------------
    "check.auth.healthy": "Supabase Auth 정상 ({version}, {ms}ms)",
    "check.auth.unhealthy": "Supabase Auth 오류 (HTTP {code})",
    "check.auth.key_rejected": "Supabase가 API 키를 거부함 (HTTP {code}): 키/JWT 시크릿 확인",
    "check.auth.settings_ok": "Auth 설정 정상 (사용 중: {providers})",
    "check.auth.google_off": "Google 로그인이 꺼져 있음 (Supabase Auth 설정)",
    "check.auth.email_off": "이메일 로그인이 꺼져 있음",
    "check.auth.signup_disabled": "신규 가입이 막혀 있음 (disable_signup)",
    "check.auth.signin_ok": "점검 계정 로그인 성공 ({ms}ms)",
    "check.auth.signin_invalid": "점검 계정 로그인 실패: 자격 증명 거부 (invalid_credentials)",
    "check.auth.signin_rejected": "점검 계정 로그인 거부 ({code})",
    "check.auth.signin_rate_limited": "로그인 요청 한도 초과 (429)",
    "check.jwt.valid": "JWT 유효 (역할 {role}, {left} 남음)",
    "check.jwt.expiring": "JWT 곧 만료 (역할 {role}, {left} 남음)",
    "check.jwt.expired": "JWT 만료됨 ({ago} 전, 역할 {role})",
    "check.jwt.no_exp": "JWT에 만료 시각(`exp`)이 없음 (역할 {role})",
    "check.jwt.malformed": "JWT 형식이 아님 (디코딩 실패)",
    # -- 상황 5: performance ----------------------------------------------------------------
    "check.perf.fast": (
        "응답 정상: 가장 느린 {url} 중앙값 {median}초 (최악 {worst}초, TTFB {ttfb}초)"
    ),
    "check.perf.sluggish": "응답 느림: {url} 중앙값 {median}초 (최악 {worst}초, TTFB {ttfb}초)",
    "check.perf.slow": "응답 매우 느림: {url} 중앙값 {median}초 (최악 {worst}초, TTFB {ttfb}초)",
    "check.perf.server_error": "{url} 서버 오류 {code}",
    "check.db.statements_missing": "pg_stat_statements 확장이 없음: 느린 쿼리 확인 불가",
    "check.db.statements_not_loaded": (
        "pg_stat_statements가 로드되지 않음 (shared_preload_libraries): 느린 쿼리 확인 불가"
    ),
    "check.db.statements_empty": "기록된 쿼리 통계 없음",
    "check.db.statements_ok": "느린 쿼리 없음 (최대 평균 {worst_ms}ms)",
    "check.db.statements_slow": "느린 쿼리 {count}개 (최대 평균 {worst_ms}ms)",
    # -- 상황 6: deploy -------------------------------------------------------------------
    "check.github.passed": "배포 워크플로 {run} 성공 ({branch})",
    "check.github.failed": "배포 워크플로 {run} 실패: {stage} 단계 ({step})",
    "check.github.running": "배포 워크플로 {run} 진행 중 (`{status}`)",
    "stage.typecheck": "타입체크",
    "stage.lint": "린트",
    "stage.test": "테스트",
    "stage.build": "빌드",
    "stage.deploy": "배포",
    "stage.unknown": "알 수 없는",
    "check.github.running_after_failure": (
        "배포 워크플로 {run} 진행 중, 직전 {failed} 실패 ({stage} 단계)"
    ),
    "check.github.other": "배포 워크플로 {run} 결과: `{conclusion}`",
    "check.github.no_runs": "{repository}의 {workflow} 실행 기록 없음",
    "check.github.not_found": (
        "워크플로를 찾을 수 없음: {repository} {workflow} (비공개 저장소면 GITHUB_TOKEN 필요)"
    ),
    "check.github.bad_token": "GITHUB_TOKEN이 거부됨 (401)",
    "check.github.rate_limited": "GitHub API 요청 한도 초과",
    "check.github.bad_repository": "GITHUB_REPOSITORY 형식 오류 (`owner/repo` 형식이어야 함): {repository}",
    "check.vercel.build_failed": "Vercel 빌드 실패 ({code}): {deployment}",
    "check.vercel.build_ok": "최신 Vercel 배포 성공: {deployment}",
    "check.vercel.build_running": "Vercel 배포 진행 중 ({state}): {deployment}",
    "check.vercel.build_other": "최신 Vercel 배포 상태 {state}: {deployment}",
    # -- 상황 7: data loss ------------------------------------------------------------------
    "check.data.first_snapshot": "테이블 {tables}개의 행 수 첫 기록",
    "check.data.counts_ok": "테이블 {tables}개의 행 수 이상 없음 (기준: {since})",
    "check.data.rows_dropped": (
        "행 수 급감 테이블 {count}개: {table} {previous}→{current} (-{percent}%) (기준: {since})"
    ),
    "check.data.tables_missing": "테이블 {count}개가 사라짐: {tables} (기준: {since})",
    "check.data.baseline_unknown": "이전 기록",
    "check.data.no_tables": "`public` 스키마에 테이블 없음 (DB 주소 확인 필요)",
    "check.backup.fresh": "최신 백업 {file} ({age} 전)",
    "check.backup.stale": "최신 백업이 오래됨: {file} ({age} 전)",
    "check.backup.none": "백업 파일 없음: {directory}",
    "check.backup.no_directory": "백업 폴더 없음: {directory}",
    "check.backup.unreadable": "백업 폴더를 읽을 수 없음: {directory}",
}

EN: dict[str, str] = {
    "check.skipped": "Not configured: {settings}",
    "check.unexpected": "Unexpected error in the check ({error})",
    # -- HTTP failures shared by every probe (probes/http.py) ----------------------------
    "check.http.timeout": "{service}: no answer within {seconds}s",
    "check.http.refused": "{service}: connection refused",
    "check.http.dns": "{service}: host name not found (DNS)",
    "check.http.tls": "{service}: TLS failure (certificate or handshake)",
    "check.http.protocol": "{service}: connection broke off mid-answer",
    "check.http.too_large": "{service}: answer too large (over {limit_kb} KB)",
    "check.http.invalid_json": "{service}: answer is not valid JSON",
    "check.http.bad_shape": "{service}: answer not in the expected shape",
    "check.http.redirects": "{service}: too many redirects (a loop?)",
    "check.http.bad_url": "{service}: invalid URL",
    "check.http.connect": "{service}: could not connect",
    "check.http.auth": "{service}: authentication failed (HTTP {code}), check the token",
    "check.http.not_found": "{service}: not found (HTTP 404), check the configured IDs",
    "check.http.rate_limited": "{service}: rate limited (HTTP 429)",
    "check.http.server_error": "{service}: server error (HTTP {code})",
    "check.http.status": "{service}: unexpected answer (HTTP {code})",
    # -- scenario 1: site, DNS, Vercel, status pages --------------------------------------
    "check.site.up": "{url} answers {code} ({ms} ms)",
    "check.site.down": "{url} server error {code} ({ms} ms)",
    "check.site.client_error": "{url} answers {code} ({ms} ms): client error",
    "check.dns.vercel": "{domain} → {target}: points at Vercel ({ms} ms)",
    "check.dns.not_vercel": "{domain} → {target}: not Vercel (may be behind a proxy)",
    "check.dns.nxdomain": "{domain}: no such domain (NXDOMAIN)",
    "check.dns.servfail": "{domain}: name servers failing (SERVFAIL)",
    "check.dns.timeout": "{domain}: no DNS answer within {seconds}s",
    "check.dns.no_answer": "{domain}: no A, AAAA or CNAME record",
    "check.dns.error": "{domain}: DNS lookup failed",
    "check.dns.resolver": "{domain}: cannot set up the DNS resolver",
    "check.dns.bad_name": "Invalid domain name: {domain}",
    "check.vercel.current": "Production: {deployment} (deployed {age} ago)",
    "check.vercel.recent": "Production deployed {minutes} min ago: {deployment}",
    "check.vercel.recent_before_incident": (
        "Production deployed {minutes} min before the incident: {deployment}"
    ),
    "check.vercel.newer_failed": (
        "Newest production deployment failed ({code}): {failed}; serving {deployment}"
    ),
    "check.vercel.no_ready": "No READY production deployment (last {count})",
    "check.vercel.none": "No production deployments",
    "check.vercel.events_clean": "{deployment}: no errors in the last {events} log events",
    "check.vercel.events_errors": "{deployment}: {count} error lines, last: {last}",
    "check.statuspage.operational": "{name} status page: all systems operational",
    "check.statuspage.degraded": (
        "{name} status page: degraded, {headline} (components affected: {components}, "
        "open incidents: {incidents})"
    ),
    "check.statuspage.outage": (
        "{name} status page: major outage, {headline} (components affected: {components}, "
        "open incidents: {incidents})"
    ),
    # -- scenario 2: database ---------------------------------------------------------------
    "check.db.ping": "Database OK: SELECT 1 in {rtt_ms} ms (connect {connect_ms} ms)",
    "check.db.auth": "Database authentication failed: {target} (check user and password)",
    "check.db.no_database": "Database does not exist: {target}",
    "check.db.refused": "Database refused the connection: {target}",
    "check.db.dns": "Database host not found: {target}",
    "check.db.timeout": "Database connection timed out ({seconds}s): {target}",
    "check.db.tls": "Database TLS/SSL failure: {target}",
    "check.db.connect": "Could not connect to the database: {target}",
    "check.db.bad_dsn": "SUPABASE_DB_URL is malformed",
    "check.db.query_timeout": "Database query timed out ({seconds}s): {target}",
    "check.db.query": "Database query failed (SQLSTATE {sqlstate}): {target}",
    "check.db.connections_ok": (
        "Database connections {total}/{max} ({percent}%), {idle} idle over {minutes} min"
    ),
    "check.db.connections_high": (
        "Database connections high: {total}/{max} ({percent}%), {idle} idle over {minutes} min"
    ),
    "check.db.connections_full": (
        "Database connections near the limit: {total}/{max} ({percent}%), "
        "{idle} idle over {minutes} min"
    ),
    "check.db.size_ok": "Database size {size_mb} MB of {limit_mb} MB ({percent}%)",
    "check.db.size_high": (
        "Database size high: {size_mb} MB of {limit_mb} MB ({percent}%), largest table {largest}"
    ),
    "check.db.size_full": (
        "Database size at the limit: {size_mb} MB of {limit_mb} MB ({percent}%), "
        "largest table {largest}"
    ),
    "check.db.audit_old": "{count} audit-log rows older than {days} days (can be purged)",
    "check.db.audit_clean": "No audit-log rows older than {days} days",
    "check.db.audit_missing": "No public.audit_logs table (check the database URL)",
    "check.db.audit_no_created_at": "public.audit_logs has no created_at column",
    # -- scenario 3: OpenAI -----------------------------------------------------------------
    "check.openai.key_ok": "OpenAI key valid ({models} models)",
    "check.openai.key_invalid": "OpenAI key rejected (401): expired or revoked?",
    "check.openai.quota": "OpenAI quota exhausted (insufficient_quota)",
    "check.openai.rate_limited": "OpenAI rate limited (429): a usage spike?",
    "check.openai.server_error": "OpenAI server error (HTTP {code})",
    "check.openai.forbidden": "OpenAI refused access ({code})",
    # -- scenario 4: Supabase Auth and JWTs ---------------------------------------------------
    "check.auth.healthy": "Supabase Auth healthy ({version}, {ms} ms)",
    "check.auth.unhealthy": "Supabase Auth failing (HTTP {code})",
    "check.auth.key_rejected": (
        "Supabase rejects the API key (HTTP {code}): check the keys and JWT secret"
    ),
    "check.auth.settings_ok": "Auth settings fine (enabled: {providers})",
    "check.auth.google_off": "Google sign-in is off in Supabase Auth",
    "check.auth.email_off": "Email sign-in is off",
    "check.auth.signup_disabled": "Sign-ups are disabled (disable_signup)",
    "check.auth.signin_ok": "Check account signed in ({ms} ms)",
    "check.auth.signin_invalid": "Check account sign-in failed: invalid credentials",
    "check.auth.signin_rejected": "Check account sign-in refused ({code})",
    "check.auth.signin_rate_limited": "Sign-in rate limited (429)",
    "check.jwt.valid": "JWT valid (role {role}, {left} left)",
    "check.jwt.expiring": "JWT expires soon (role {role}, {left} left)",
    "check.jwt.expired": "JWT expired {ago} ago (role {role})",
    "check.jwt.no_exp": "JWT has no expiry (exp) (role {role})",
    "check.jwt.malformed": "Not a JWT (cannot decode)",
    # -- scenario 5: performance -------------------------------------------------------------
    "check.perf.fast": (
        "Response times fine: slowest {url} median {median}s (worst {worst}s, TTFB {ttfb}s)"
    ),
    "check.perf.sluggish": "Slow: {url} median {median}s (worst {worst}s, TTFB {ttfb}s)",
    "check.perf.slow": "Very slow: {url} median {median}s (worst {worst}s, TTFB {ttfb}s)",
    "check.perf.server_error": "{url} server error {code}",
    "check.db.statements_missing": "pg_stat_statements is not enabled: no slow-query list",
    "check.db.statements_not_loaded": (
        "pg_stat_statements is not loaded (shared_preload_libraries): no slow-query list"
    ),
    "check.db.statements_empty": "No query statistics recorded yet",
    "check.db.statements_ok": "No slow queries (slowest mean {worst_ms} ms)",
    "check.db.statements_slow": "{count} slow queries (slowest mean {worst_ms} ms)",
    # -- scenario 6: deploy ------------------------------------------------------------------
    "check.github.passed": "Deploy workflow {run} passed ({branch})",
    "check.github.failed": "Deploy workflow {run} failed at {stage} ({step})",
    "check.github.running": "Deploy workflow {run} in progress ({status})",
    "stage.typecheck": "typecheck",
    "stage.lint": "lint",
    "stage.test": "test",
    "stage.build": "build",
    "stage.deploy": "deploy",
    "stage.unknown": "an unknown stage",
    "check.github.running_after_failure": (
        "Deploy workflow {run} running; the previous {failed} failed at {stage}"
    ),
    "check.github.other": "Deploy workflow {run} ended: {conclusion}",
    "check.github.no_runs": "No runs of {workflow} in {repository}",
    "check.github.not_found": (
        "Workflow not found: {repository} {workflow} (a private repository needs GITHUB_TOKEN)"
    ),
    "check.github.bad_token": "GITHUB_TOKEN rejected (401)",
    "check.github.rate_limited": "GitHub API rate limit exceeded",
    "check.github.bad_repository": "GITHUB_REPOSITORY is not owner/repo: {repository}",
    "check.vercel.build_failed": "Vercel build failed ({code}): {deployment}",
    "check.vercel.build_ok": "Newest Vercel deployment succeeded: {deployment}",
    "check.vercel.build_running": "Vercel deployment in progress ({state}): {deployment}",
    "check.vercel.build_other": "Newest Vercel deployment is {state}: {deployment}",
    # -- scenario 7: data loss ---------------------------------------------------------------
    "check.data.first_snapshot": "First row-count snapshot of {tables} tables",
    "check.data.counts_ok": "Row counts of {tables} tables look normal (baseline: {since})",
    "check.data.rows_dropped": (
        "{count} tables lost rows: {table} {previous}→{current} (-{percent}%) (baseline: {since})"
    ),
    "check.data.tables_missing": "{count} tables are gone: {tables} (baseline: {since})",
    "check.data.baseline_unknown": "the last record",
    "check.data.no_tables": "No tables in the public schema (check the database URL)",
    "check.backup.fresh": "Latest backup {file} ({age} ago)",
    "check.backup.stale": "Latest backup is old: {file} ({age} ago)",
    "check.backup.none": "No backup files in {directory}",
    "check.backup.no_directory": "Backup directory missing: {directory}",
    "check.backup.unreadable": "Cannot read the backup directory: {directory}",
}
