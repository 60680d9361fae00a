"""Settings from the environment (`FAIRCLICK_` prefix) and a `.env` file.

Bad configuration stops start-up with one clear line naming the setting (`load_settings`).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "change-me-this-is-not-a-secret"


class ConfigError(Exception):
    """A setting is wrong; the message names it in one line."""


class Settings(BaseSettings):
    """Every setting of the platform. Each one is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="FAIRCLICK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///var/fairclick.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for shared state between nodes; unset = in-process"
    )
    secret_key: str = Field(
        default=DEFAULT_SECRET,
        min_length=16,
        description="Key for session cookies, CSRF tokens and the keyed hash of IP addresses",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated IPs/CIDRs whose X-Forwarded-For / Forwarded headers are believed",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public base URL of short links (…/c/CODE)"
    )
    data_dir: Path = Field(
        default=Path("var/data"), description="Where `fairclick data update` installs runtime data"
    )
    raw_ip_retention_days: int = Field(
        default=30, ge=0, le=3650, description="Days raw IPs stay in the journal before the purge"
    )
    click_retention_days: int = Field(
        default=730, ge=1, le=36500, description="Days click records are kept"
    )
    host: str = Field(default="127.0.0.1", description="Address `fairclick serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `fairclick serve` listens on")
    min_payout_minor: int = Field(
        default=1000, ge=0, description="Minimum available balance for a payout, in minor units"
    )
    payout_debtor_name: str = Field(
        default="fairclick", description="Name of the platform's account that pays influencers"
    )
    payout_debtor_iban: str | None = Field(
        default=None, description="IBAN debited by payout transfers (SEPA pain.001)"
    )
    payout_debtor_bic: str | None = Field(
        default=None, description="BIC of the bank holding the payout IBAN"
    )
    token_days: int = Field(
        default=90, ge=1, le=3650, description="Default lifetime of a new API token, in days"
    )
    signup_status: Literal["pending", "active"] = Field(
        default="pending",
        description="Status of a self-service influencer signup: pending (an operator vets it "
        "before it can join campaigns) or active (it can join at once)",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR range") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        if value.startswith(("postgresql://", "postgres://")):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    def trusted_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The trusted proxies as parsed networks."""
        return [ipaddress.ip_network(item, strict=False) for item in self.trusted_proxies]


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation error into one `ConfigError` line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "FAIRCLICK_" + str(first["loc"][0]).upper() if first["loc"] else "FAIRCLICK_?"
        raise ConfigError(f"bad setting {name}: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own with `load_settings`)."""
    return load_settings()
