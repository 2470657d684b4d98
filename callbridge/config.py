"""Settings: environment variables ``CALLBRIDGE_*`` over an optional ``callbridge.toml``.

``load_settings()`` is the one way in: it turns every validation problem into a
:class:`~callbridge.errors.ConfigError` that names the setting, the value and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from callbridge.errors import ConfigError

__all__ = ["Settings", "effective_config", "load_settings", "mask_url"]

ENV_PREFIX = "CALLBRIDGE_"
DATABASE_SCHEMES = ("sqlite", "postgresql+psycopg")
JOBS_SCHEMES = ("sqlite", "redis", "rediss")
RATELIMIT_SCHEMES = ("redis", "rediss")

# What to tell a person when a setting is wrong, keyed by field name.
HINTS: dict[str, str] = {
    "database_url": "use sqlite:///path/to/callbridge.db or postgresql+psycopg://user@host:5432/db",
    "jobs_url": "use sqlite:///path/to/jobs.db or redis://host:6379/0",
    "ratelimit_url": "use redis://host:6379/0 (rediss:// for TLS), or leave it unset to keep rate "
    "budgets in the database",
    "public_url": "give the https:// address at which the platforms can reach this server, "
    "or leave it unset to run polling-only",
    "clock": "use 'system' (production) or 'virtual' (tests and benchmarks)",
    "log_level": "use one of DEBUG, INFO, WARNING, ERROR",
    "keys": "set CALLBRIDGE_KEYS to 'keyid:base64key[,keyid:base64key…]' or run "
    "'callbridge keys init' to create a key ring file",
    "http_timeout_seconds": "use a positive number of seconds, e.g. 10",
    "default_region": "use a two-letter ISO country code such as US, GB or DE",
}


class Settings(BaseSettings):
    """Every setting of callbridge, in one place."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        toml_file=os.environ.get(f"{ENV_PREFIX}CONFIG_FILE", "callbridge.toml"),
    )

    data_dir: Path = Field(default=Path("var"), description="Where embedded data lives")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the database")
    jobs_url: str | None = Field(default=None, description="Job broker: sqlite:/// or redis://")
    jobs_name: str = Field(default="callbridge", description="Queue name (Redis key prefix)")
    ratelimit_url: str | None = Field(
        default=None,
        description="Where rate budgets live: redis:// or rediss:// (keys '<jobs_name>:ratelimit:…'); "
        "unset: in the database",
    )
    keys: SecretStr | None = Field(default=None, description="Key ring: 'id:base64key,…'")
    keyring_file: Path | None = Field(default=None, description="Key ring file (default in data_dir)")
    public_url: str | None = Field(default=None, description="Public https URL; enables webhooks")
    clock: Literal["system", "virtual"] = "system"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    http_max_retries: int = Field(default=4, ge=0, le=10)
    job_max_attempts: int = Field(default=8, ge=1, le=100)
    job_lease_seconds: int = Field(default=300, ge=5)
    webhook_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    zoom_webhook_window_seconds: int = Field(
        default=300, ge=30, le=3600,
        description="Zoom deliveries whose x-zm-request-timestamp is further than this from now are refused",
    )
    default_region: str = Field(default="US", min_length=2, max_length=2)
    # -- archive (issue 7) --------------------------------------------------------------------
    archive_storage_url: str | None = Field(
        default=None, description="fsspec URL of the archive's object storage (default data_dir/archive)"
    )
    archive_s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint (MinIO, moto)")
    archive_s3_key: SecretStr | None = Field(default=None, description="S3 access key id")
    archive_s3_secret: SecretStr | None = Field(default=None, description="S3 secret access key")
    archive_recording_template: str = Field(
        default="{account}/{yyyy}/{mm}/{dd}/{call_id}-{recording_id}.{ext}",
        description="Object path of a recording",
    )
    archive_attachment_template: str = Field(
        default="{account}/{yyyy}/{mm}/{dd}/messages/{message_id}-{attachment_id}.{ext}",
        description="Object path of a message attachment",
    )
    archive_lookback_hours: int = Field(default=24, ge=0, le=24 * 30)
    archive_window_hours: int = Field(default=168, ge=1, le=24 * 31)
    archive_chunk_bytes: int = Field(default=1_048_576, ge=4096, le=64 * 1_048_576)
    archive_interval_minutes: int = Field(default=60, ge=1)
    archive_transcriptions: bool = Field(default=False, description="Archive AudioTranscription attachments")
    archive_retention_warn_days: int = Field(
        default=7, ge=0, le=365, description="Warn when unarchived items are this close to retention"
    )
    archive_hipaa_retention: bool = Field(
        default=False, description="HIPAA account: recordings, voicemail and faxes kept 30 days"
    )
    archive_call_log_retention_days: int = Field(
        default=365, ge=30, le=3650, description="Call-log retention of the account (270 for 9 months)"
    )
    archive_delete_after_archive: bool = Field(
        default=False, description="Delete messages from the message store once their archive is verified"
    )
    archive_delete_min_age_days: int = Field(
        default=30, ge=0, le=3650, description="Only messages at least this old are deleted after archive"
    )
    # -- ingest (issue 6: webhooks, catch-up sync) ---------------------------------------------
    ingest_sync_minutes: int = Field(
        default=15, ge=1, description="Catch-up sync from the call log and messages"
    )
    ingest_lookback_minutes: int = Field(
        default=180, ge=0, le=24 * 60 * 7, description="Each sync re-reads this far behind its cursor"
    )
    ingest_initial_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="First sync reads this far back"
    )
    ingest_sweep_minutes: int = Field(default=5, ge=1, description="How often ingest work is offered")
    webhook_expires_seconds: int = Field(
        default=604_800, ge=3600, description="Webhook subscription lifetime"
    )
    webhook_renew_before_hours: int = Field(default=48, ge=1, description="Renew when this close to expiry")
    deletion_grace_days: int = Field(default=30, ge=1, le=365, description="Days a deletion can be cancelled")
    support_session_days: int = Field(default=30, ge=1, le=30, description="Support bundles kept this long")
    retention_finished_jobs_days: int = Field(default=30, ge=1, description="Done jobs (and payloads) kept")
    retention_audit_days: int = Field(default=730, ge=30, description="Audit entries kept")
    # Retention per data type (issue 8); the table in docs/privacy.md is generated from these.
    retention_communications_days: int = Field(
        default=365, ge=60, le=36_500,
        description="Communications and their CRM logging bookkeeping, kept this long after their last "
        "change (an event about a purged one would be logged again: keep it well past any redelivery)",
    )
    retention_inbox_days: int = Field(
        default=7, ge=1, le=90, description="Normalised inbox events (their dedupe keys) kept this long"
    )
    retention_dead_jobs_days: int = Field(
        default=90, ge=7, le=3650,
        description="Dead jobs, their dead letters and never-normalised raw inbox events kept this long",
    )
    retention_archive_days: int | None = Field(
        default=None, ge=1, le=36_500,
        description="Archived recordings and attachments (file and row) kept this long after their day; "
        "unset keeps them",
    )
    allow_private_destinations: bool = Field(
        default=False, description="Let connectors and storage reach loopback/private addresses"
    )
    # -- CRM logging (issue 6) ----------------------------------------------------------------
    logging_consistency_window_seconds: float | None = Field(
        default=None,
        ge=0,
        description="Wait this long after an unsure create before searching the CRM for its marker "
        "(default: the connector's search lag + 5 s)",
    )
    recording_link_days: int = Field(
        default=365, ge=1, le=3650,
        description="Recording links in the CRM work this many days after the call, then answer 410",
    )
    logging_lease_seconds: int = Field(
        default=120, ge=5, description="How long one worker holds a CRM activity while writing it"
    )
    logging_unavailable_retry_seconds: int = Field(
        default=60, ge=1, description="First wait after a CRM outage (backoff grows from it)"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(f"unsupported database scheme {scheme or '(none)'!r}")
        return value

    @field_validator("jobs_url")
    @classmethod
    def _check_jobs_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in JOBS_SCHEMES:
            raise ValueError(f"unsupported job broker {scheme or '(none)'!r}")
        return value

    @field_validator("ratelimit_url")
    @classmethod
    def _check_ratelimit_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in RATELIMIT_SCHEMES or not parts.netloc:
            raise ValueError(f"unsupported rate-limit store {parts.scheme or '(none)'!r}")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")

    @field_validator("default_region")
    @classmethod
    def _check_region(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError("not a country code")
        return value.upper()

    @field_validator("keys")
    @classmethod
    def _check_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for entry in value.get_secret_value().split(","):
            key_id, sep, material = entry.strip().partition(":")
            if not sep or not key_id or not material:
                # Never echo the value: it is key material.
                raise ValueError("an entry is not of the form 'keyid:base64key'")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / 'callbridge.db'}"
        if self.jobs_url is None:
            self.jobs_url = f"sqlite:///{self.data_dir / 'jobs.db'}"
        if self.keyring_file is None:
            self.keyring_file = self.data_dir / "keyring.json"
        return self

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def broker_url(self) -> str:
        assert self.jobs_url is not None
        return self.jobs_url

    @property
    def keyring_path(self) -> Path:
        assert self.keyring_file is not None
        return self.keyring_file


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or raise a ConfigError naming every bad setting and its fix."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise _config_error(exc) from None


def _config_error(exc: ValidationError) -> ConfigError:
    lines = []
    first_field = None
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        first_field = first_field or field
        env_name = ENV_PREFIX + field.upper()
        if err["type"] == "extra_forbidden":
            lines.append(f"{env_name}: unknown setting; remove it or check its spelling")
            continue
        shown = "(hidden)" if field == "keys" else repr(err.get("input"))
        reason = err["msg"].removeprefix("Value error, ")
        hint = HINTS.get(field, "see 'callbridge config check --help' for the allowed values")
        lines.append(f"{env_name}={shown}: {reason}; {hint}")
    message = "Invalid configuration:\n  " + "\n  ".join(lines)
    return ConfigError(message, field=first_field, hint=HINTS.get(first_field or ""))


def mask_url(url: str) -> str:
    """Hide the password of a URL (``postgresql://u:secret@h/db`` → ``postgresql://u:***@h/db``)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def effective_config(settings: Settings) -> dict[str, str]:
    """The settings as a person may see them: secrets and URL passwords masked."""
    shown: dict[str, str] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = "***"
        elif value is None:
            text = "(unset)"
        elif name.endswith("_url"):
            text = mask_url(str(value))
        else:
            text = str(value)
        shown[ENV_PREFIX + name.upper()] = text
    return shown
