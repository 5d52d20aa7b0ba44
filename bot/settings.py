"""The bot's settings: environment variables (SPEC 3.2), a `.env` file read too."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from probes.vercel import VercelArgs

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
# A plain address (`name@example.com`): customer contacts and the sender, not display names.
_EMAIL = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+$")
_HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-:]+?)(?::(\d{1,5}))?$")


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError("setting.http_url")
    return value


def _api_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError("setting.api_paths")
    return value


Csv = Annotated[list[str], NoDecode, BeforeValidator(_split_csv)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    """Every setting of SPEC 3.2; attribute names are short, the variables are the SPEC's."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
        # `FOO=` in a .env file means "not set", not "set to the empty string".
        env_ignore_empty=True,
    )

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: HttpUrl = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")

    database_url: str = Field("sqlite:///ailex.db", validation_alias="AILEX_DATABASE_URL")
    locale: Literal["ko", "en"] = Field("ko", validation_alias="AILEX_LOCALE")
    timezone: str = Field("Asia/Seoul", validation_alias="AILEX_TIMEZONE")
    incident_channels: bool = Field(True, validation_alias="AILEX_INCIDENT_CHANNELS")
    approvers: Csv = Field(default_factory=list, validation_alias="AILEX_APPROVERS")
    allow_self_approval: bool = Field(False, validation_alias="AILEX_ALLOW_SELF_APPROVAL")
    approval_ttl_minutes: PositiveFloat = Field(15, validation_alias="AILEX_APPROVAL_TTL_MINUTES")
    probe_timeout: PositiveFloat = Field(5, validation_alias="AILEX_PROBE_TIMEOUT")

    site_url: HttpUrl = Field("https://ailex.app", validation_alias="AILEX_SITE_URL")
    api_paths: Csv = Field(
        default_factory=lambda: ["/api/v1/dashboard/summary"], validation_alias="AILEX_API_PATHS"
    )
    domain: str = Field("ailex.app", validation_alias="AILEX_DOMAIN")
    dns_nameservers: Csv = Field(default_factory=list, validation_alias="AILEX_DNS_NAMESERVERS")

    vercel_token: SecretStr | None = Field(None, validation_alias="VERCEL_TOKEN")
    vercel_project_id: str | None = Field(None, validation_alias="VERCEL_PROJECT_ID")
    vercel_team_id: str | None = Field(None, validation_alias="VERCEL_TEAM_ID")
    vercel_api_url: HttpUrl = Field("https://api.vercel.com", validation_alias="VERCEL_API_URL")

    supabase_url: HttpUrl | None = Field(None, validation_alias="SUPABASE_URL")
    supabase_anon_key: SecretStr | None = Field(None, validation_alias="SUPABASE_ANON_KEY")
    supabase_db_url: SecretStr | None = Field(None, validation_alias="SUPABASE_DB_URL")

    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: HttpUrl = Field(
        "https://api.openai.com/v1", validation_alias="OPENAI_BASE_URL"
    )

    github_token: SecretStr | None = Field(None, validation_alias="GITHUB_TOKEN")
    github_repository: str = Field("cheesom-max/AILEX", validation_alias="GITHUB_REPOSITORY")
    github_workflow: str = Field("deploy.yml", validation_alias="GITHUB_WORKFLOW")
    github_api_url: HttpUrl = Field("https://api.github.com", validation_alias="GITHUB_API_URL")

    statuspage_vercel: HttpUrl = Field(
        "https://www.vercel-status.com", validation_alias="AILEX_STATUSPAGE_VERCEL"
    )
    statuspage_supabase: HttpUrl = Field(
        "https://status.supabase.com", validation_alias="AILEX_STATUSPAGE_SUPABASE"
    )
    statuspage_openai: HttpUrl = Field(
        "https://status.openai.com", validation_alias="AILEX_STATUSPAGE_OPENAI"
    )

    idle_minutes: PositiveFloat = Field(10, validation_alias="AILEX_IDLE_MINUTES")
    audit_retention_days: Annotated[int, Field(gt=0)] = Field(
        90, validation_alias="AILEX_AUDIT_RETENTION_DAYS"
    )
    db_size_limit_mb: PositiveFloat = Field(500, validation_alias="AILEX_DB_SIZE_LIMIT_MB")
    backup_dir: str = Field("backups", validation_alias="AILEX_BACKUP_DIR")
    edge_config_id: str | None = Field(None, validation_alias="AILEX_EDGE_CONFIG_ID")
    # Not in SPEC 3.2: how often the data-loss check's row counts are snapshotted (0: never).
    snapshot_interval_minutes: Annotated[float, Field(ge=0)] = Field(
        360, validation_alias="AILEX_SNAPSHOT_INTERVAL_MINUTES"
    )
    # Not in SPEC 3.2: set by `ailex drill` for its console, so the incidents declared there are
    # drills (left out of statistics and customer communication, reports headed as drills).
    drill: bool = Field(False, validation_alias="AILEX_DRILL")
    drill_pg_url: SecretStr | None = Field(None, validation_alias="AILEX_DRILL_PG_URL")
    auth_check_email: str | None = Field(None, validation_alias="AILEX_AUTH_CHECK_EMAIL")
    auth_check_password: SecretStr | None = Field(
        None, validation_alias="AILEX_AUTH_CHECK_PASSWORD"
    )

    # Alerts (SPEC 6): where they are announced, what they do, how they group, and the
    # secrets of their webhooks (an unset secret disables its endpoint).
    alert_channel: str | None = Field(None, validation_alias="AILEX_ALERT_CHANNEL")
    alert_mode: Literal["declare", "triage"] = Field("declare", validation_alias="AILEX_ALERT_MODE")
    alert_group_minutes: Annotated[float, Field(ge=0)] = Field(
        30, validation_alias="AILEX_ALERT_GROUP_MINUTES"
    )
    uptimerobot_secret: SecretStr | None = Field(None, validation_alias="AILEX_UPTIMEROBOT_SECRET")
    sentry_client_secret: SecretStr | None = Field(None, validation_alias="SENTRY_CLIENT_SECRET")
    vercel_webhook_secret: SecretStr | None = Field(None, validation_alias="VERCEL_WEBHOOK_SECRET")
    github_webhook_secret: SecretStr | None = Field(None, validation_alias="GITHUB_WEBHOOK_SECRET")
    oncall: Csv = Field(default_factory=list, validation_alias="AILEX_ONCALL")
    # SPEC 7: per severity, minutes an open incident may go without an update.
    update_reminder_minutes: str = Field(
        "P1:30,P2:60", validation_alias="AILEX_UPDATE_REMINDER_MINUTES"
    )

    @field_validator("update_reminder_minutes")
    @classmethod
    def _update_reminders(cls, value: str) -> str:
        parse_update_intervals(value)
        return value

    @property
    def update_intervals(self) -> dict[str, float]:
        """Minutes without an update before the update reminder, by severity."""
        return parse_update_intervals(self.update_reminder_minutes)

    # Customers (SPEC 8): the status page's manage API and customer e-mail. The SMTP URL
    # carries a password, so the whole URL is a secret.
    statuspage_api_key: SecretStr | None = Field(None, validation_alias="STATUSPAGE_API_KEY")
    statuspage_page_id: str | None = Field(None, validation_alias="STATUSPAGE_PAGE_ID")
    statuspage_api_url: HttpUrl = Field(
        "https://api.statuspage.io/v1", validation_alias="STATUSPAGE_API_URL"
    )
    statuspage_component_ids: Csv = Field(
        default_factory=list, validation_alias="STATUSPAGE_COMPONENT_IDS"
    )
    smtp_url: SecretStr | None = Field(None, validation_alias="AILEX_SMTP_URL")
    smtp_from: str | None = Field(None, validation_alias="AILEX_SMTP_FROM")
    smtp_ca_file: str | None = Field(None, validation_alias="AILEX_SMTP_CA_FILE")
    customer_emails: Csv = Field(default_factory=list, validation_alias="AILEX_CUSTOMER_EMAILS")
    customer_locales: Csv = Field(
        default_factory=lambda: ["ko", "en"], validation_alias="AILEX_CUSTOMER_LOCALES"
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(value.get_secret_value())
            port = parts.port
        except ValueError:
            raise ValueError("setting.smtp_url") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == 0:
            raise ValueError("setting.smtp_url")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.strip()):
            raise ValueError("setting.email")
        return value.strip() if value is not None else None

    @field_validator("customer_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.match(address):
                raise ValueError("setting.emails")
        return value

    @field_validator("customer_locales")
    @classmethod
    def _locales(cls, value: list[str]) -> list[str]:
        locales = [v.lower() for v in value]
        if not locales or any(v not in ("ko", "en") for v in locales):
            raise ValueError("setting.customer_locales")
        return list(dict.fromkeys(locales))

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("setting.timezone") from exc
        return value

    @field_validator("approvers")
    @classmethod
    def _user_ids(cls, value: list[str]) -> list[str]:
        for user_id in value:
            if not _USER_ID.match(user_id):
                raise ValueError("setting.user_ids")
        return value

    @field_validator("alert_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL_ID.match(value.strip()):
            raise ValueError("setting.channel_id")
        return value.strip() if value is not None else None

    @field_validator("oncall")
    @classmethod
    def _oncall(cls, value: list[str]) -> list[str]:
        groups = [v for v in value if v.startswith("S")]
        if groups and len(value) > 1:
            raise ValueError("setting.oncall")
        for entry in value:
            if not (_USER_ID.match(entry) or _GROUP_ID.match(entry)):
                raise ValueError("setting.oncall")
        return value

    @field_validator("api_paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return [_api_path(path) for path in value]

    @field_validator("dns_nameservers")
    @classmethod
    def _nameservers(cls, value: list[str]) -> list[str]:
        for entry in value:
            match = _HOST_PORT.match(entry)
            if not match or (match.group(2) and not 0 < int(match.group(2)) < 65536):
                raise ValueError("setting.nameservers")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        from storage.urls import url_problem

        problem = url_problem(value)
        if problem == "unparseable":
            raise ValueError("setting.database_url")
        if problem == "dialect":
            raise ValueError("setting.database_dialect")
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("setting.bot_token")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("setting.app_token")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone for messages and reports."""
        return ZoneInfo(self.timezone)

    def secret(self, name: str) -> str | None:
        """A secret setting's value, None when unset: what a probe or remediation is given."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    def secret_values(self) -> list[str]:
        """Every secret this process knows, for redaction."""
        secrets = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                secrets.append(value.get_secret_value())
        db_url = self.supabase_db_url.get_secret_value() if self.supabase_db_url else ""
        password = _password_in_url(db_url) or _password_in_url(self.database_url)
        if password:
            secrets.append(password)
        smtp_password = smtp_password_of(self.secret("smtp_url"))
        if smtp_password:
            secrets.append(smtp_password)
        return secrets


def vercel_args(settings: Settings, *, timeout: float) -> VercelArgs:
    """The VERCEL_* settings as the Vercel probes and remediations take them."""
    return {
        "api_url": settings.vercel_api_url,
        "token": settings.secret("vercel_token"),
        "project_id": settings.vercel_project_id,
        "team_id": settings.vercel_team_id,
        "timeout": timeout,
    }


def smtp_password_of(url: str | None) -> str | None:
    """The password in an SMTP URL (decoded, as it is sent), for redaction."""
    from urllib.parse import unquote, urlsplit

    if not url:
        return None
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _password_in_url(url: str) -> str | None:
    from storage.urls import url_password

    return url_password(url)


@dataclass(frozen=True)
class SettingProblem:
    """One bad setting: its variable, what is wrong (`missing`, `invalid`, `unreachable`) and,
    for a bad value, the catalogue key (with its parameters) of what it should be."""

    variable: str
    problem: str = "invalid"
    expected: str = "setting.invalid"
    params: dict[str, Any] = field(default_factory=dict)


def parse_update_intervals(value: str) -> dict[str, float]:
    """`P1:30,P2:60` as {"P1": 30.0, "P2": 60.0}; ValueError naming what it accepts."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        severity, sep, minutes = part.partition(":")
        severity = severity.strip().upper()
        try:
            number = float(minutes)
        except ValueError:
            number = -1.0
        if not sep or severity not in ("P1", "P2", "P3") or severity in out or not number > 0:
            raise ValueError("setting.update_reminders")
        out[severity] = number
    return out


class SettingsError(Exception):
    """Settings are missing or malformed; each problem is shown as one line naming its
    variable, in the configured language (bot/cli.py)."""

    def __init__(
        self,
        variable: str,
        expected: str = "setting.invalid",
        problem: str = "invalid",
        *,
        problems: Sequence[SettingProblem] = (),
        **params: Any,
    ) -> None:
        self.problems = list(problems) or [SettingProblem(variable, problem, expected, params)]
        first = self.problems[0]
        self.variable, self.expected, self.problem = first.variable, first.expected, first.problem
        super().__init__(", ".join(p.variable for p in self.problems))


# pydantic's error types, as what the value should have been (keys of bot/messages/incidents.py).
_EXPECTED_BY_ERROR_TYPE = {
    "literal_error": "setting.one_of",
    "bool_parsing": "setting.boolean",
    "bool_type": "setting.boolean",
    "float_parsing": "setting.number",
    "float_type": "setting.number",
    "int_parsing": "setting.integer",
    "int_from_float": "setting.integer",
    "int_type": "setting.integer",
    "greater_than": "setting.greater_than",
    "greater_than_equal": "setting.at_least",
}


def _problem(error: Any) -> SettingProblem:
    variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "value_error":
        key = str(ctx.get("error", ""))
        return SettingProblem(variable, expected=key if key.startswith("setting.") else "")
    if kind == "literal_error":
        values = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return SettingProblem(
            variable, expected="setting.one_of", params={"values": ", ".join(values)}
        )
    if kind in ("greater_than", "greater_than_equal"):
        limit = ctx.get("gt", ctx.get("ge", 0))
        return SettingProblem(
            variable,
            expected=_EXPECTED_BY_ERROR_TYPE[kind],
            params={"limit": f"{limit:g}" if isinstance(limit, float) else limit},
        )
    return SettingProblem(variable, expected=_EXPECTED_BY_ERROR_TYPE.get(kind, "setting.invalid"))


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise SettingsError naming every bad
    one at once (a variable once, with its first problem)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems: dict[str, SettingProblem] = {}
        for error in exc.errors():
            problem = _problem(error)
            if not problem.expected:
                problem = SettingProblem(problem.variable)
            problems.setdefault(problem.variable, problem)
        raise SettingsError("", problems=list(problems.values())) from None


def is_set(settings: Settings, variable: str) -> bool:
    """Whether the setting named by its variable (SPEC 3.2) has a value."""
    return getattr(settings, _FIELD_BY_VARIABLE[variable]) is not None


def require(settings: Settings, *variables: str) -> None:
    """Raise SettingsError naming every one of these variables that is not set."""
    missing = [SettingProblem(v, "missing") for v in variables if not is_set(settings, v)]
    if missing:
        raise SettingsError("", problems=missing)


_FIELD_BY_VARIABLE = {
    str(info.validation_alias): name for name, info in Settings.model_fields.items()
}
