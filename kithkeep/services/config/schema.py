"""The validated settings model (pydantic-settings): TOML file, then KITHKEEP_* env."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from kithkeep.connectors.limits import DEFAULT as DEFAULT_LIMITS
from kithkeep.domain.rules import (
    DEFAULT_CADENCE_DAYS,
    DEFAULT_FOLLOW_UP_AFTER_DAYS,
    DEFAULT_MAX_AUDIENCE,
    DEFAULT_OWED_AFTER_DAYS,
    normalize_address,
)

AccountType = Literal[
    "folder", "gmail", "google-calendar", "google-contacts", "outlook", "imap", "caldav", "carddav"
]


class AccountModel(BaseModel):
    """One `[[accounts]]` table: a connected source (`kithkeep account add` writes them)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\w.@-]+$")]
    type: AccountType
    #: folder: the folder (or file) to import from.
    path: Path | None = None
    interval_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 15
    enabled: bool = True
    #: The account's own address, and aliases (send-as, proxy addresses): all are "self".
    address: str = ""
    addresses: list[str] = Field(default_factory=list)
    #: imap / caldav / carddav: where and who.
    host: str = ""
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    user: str = ""
    security: Literal["tls", "starttls", "plain"] = "tls"
    url: str = ""
    #: Mail folders to sync (imap, outlook); empty: the provider's inbox and sent folders.
    folders: list[str] = Field(default_factory=list)
    #: The window of a first sync: this many days back (mail, calendar), ahead (calendar).
    since_days: Annotated[int, Field(ge=1, le=36500)] = 3 * 365
    ahead_days: Annotated[int, Field(ge=0, le=3650)] = 365
    #: outlook: the app registration and tenant.
    client_id: str = ""
    tenant: str = "common"
    #: gmail: read the first lines (Gmail's snippet) for introduction cues; needs the
    #: gmail.readonly scope instead of gmail.metadata. Never stored.
    body_cues: bool = False
    #: outlook: its contacts too (`account add outlook --with-contacts`: Contacts.Read).
    contacts: bool = False

    @model_validator(mode="after")
    def _needs(self) -> AccountModel:
        if self.type == "folder" and self.path is None:
            raise ValueError("a folder account needs a path")
        if self.type == "imap" and not (self.host and self.user):
            raise ValueError("an imap account needs host and user")
        if self.type in ("caldav", "carddav") and not self.url:
            raise ValueError(f"a {self.type} account needs a url")
        return self


class GoogleModel(BaseModel):
    """Where the Google APIs are (a test points these at a local fake server)."""

    model_config = ConfigDict(extra="forbid")

    api_endpoint: str = ""
    batch_uri: str = ""
    #: The per-user quota kithkeep paces to, per minute (0: Google's published figure:
    #: Gmail 15,000 units, Calendar 600 requests); it keeps 5% headroom below it.
    quota_per_minute: Annotated[int, Field(ge=0)] = 0


class OutlookModel(BaseModel):
    """Microsoft sign-in and Graph: national clouds, or a local fake in tests."""

    model_config = ConfigDict(extra="forbid")

    authority_host: str = "login.microsoftonline.com"
    graph_endpoint: str = "https://graph.microsoft.com/v1.0"
    client_id: str = ""


class DaemonModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digest_time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "08:00"
    jitter_seconds: Annotated[float, Field(ge=0, le=3600)] = 30
    backoff_cap_minutes: Annotated[float, Field(gt=0)] = 240
    notify: bool = True


class DigestModel(BaseModel):
    """Optional mail of the daily digest to self (the password is kept as a secret)."""

    model_config = ConfigDict(extra="forbid")

    smtp_host: str = ""
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_security: Literal["starttls", "tls", "plain"] = "starttls"
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_to: str = ""


class StoreModel(BaseModel):
    """Where the events and views live: SQLite in the home (empty url), or PostgreSQL."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(pattern=r"^((postgresql|postgres)://.*)?$")] = ""


class LimitsModel(BaseModel):
    """What one input may cost (`connectors.limits.Limits`; its defaults)."""

    model_config = ConfigDict(extra="forbid")

    header_line_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_LIMITS.header_line_bytes
    header_block_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_LIMITS.header_block_bytes
    recipients: Annotated[int, Field(ge=1)] = DEFAULT_LIMITS.recipients
    encoded_words: Annotated[int, Field(ge=1)] = DEFAULT_LIMITS.encoded_words
    calendar_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_LIMITS.calendar_bytes
    occurrences_per_file: Annotated[int, Field(ge=1)] = DEFAULT_LIMITS.occurrences_per_file
    zip_member_bytes: Annotated[int, Field(ge=1024)] = DEFAULT_LIMITS.zip_member_bytes
    zip_ratio: Annotated[int, Field(ge=2)] = DEFAULT_LIMITS.zip_ratio


class TeamModel(BaseModel):
    """A team on one shared store: each member's own addresses, kept apart."""

    model_config = ConfigDict(extra="forbid")

    members: dict[Annotated[str, Field(pattern=r"^[\w.@-]+$")], list[str]] = Field(
        default_factory=dict
    )

    @field_validator("members")
    @classmethod
    def _addresses(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        owner: dict[str, str] = {}
        for name, raw in v.items():
            for r in raw:
                a = normalize_address(r)
                if not a:
                    raise ValueError(f"{r!r} is not an email address")
                if owner.setdefault(a, name) != name:
                    raise ValueError(f"{a} belongs to both {owner[a]} and {name}")
        return {name: [normalize_address(r) for r in raw] for name, raw in v.items()}


class SettingsModel(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KITHKEEP_", env_nested_delimiter="__", extra="forbid"
    )
    toml_path: ClassVar[Path | None] = None

    me: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_audience: int = Field(DEFAULT_MAX_AUDIENCE, ge=1, le=10_000)
    default_cadence_days: int = Field(DEFAULT_CADENCE_DAYS, ge=1, le=3650)
    follow_up_after_days: int = Field(DEFAULT_FOLLOW_UP_AFTER_DAYS, ge=1, le=3650)
    owed_after_days: int = Field(DEFAULT_OWED_AFTER_DAYS, ge=0, le=365)
    timezone: str = "local"
    accounts: list[AccountModel] = Field(default_factory=list)
    daemon: DaemonModel = DaemonModel()
    digest: DigestModel = DigestModel()
    gmail: GoogleModel = GoogleModel()
    google_calendar: GoogleModel = GoogleModel()
    google_contacts: GoogleModel = GoogleModel()
    outlook: OutlookModel = OutlookModel()
    store: StoreModel = StoreModel()
    team: TeamModel = TeamModel()
    limits: LimitsModel = LimitsModel()

    @field_validator("accounts")
    @classmethod
    def _unique(cls, v: list[AccountModel]) -> list[AccountModel]:
        names = [a.name for a in v]
        if len(names) != len(set(names)):
            raise ValueError("account names must be unique")
        return v

    @field_validator("me", mode="before")
    @classmethod
    def _split(cls, v: object) -> object:
        return [x for x in v.split(",") if x.strip()] if isinstance(v, str) else v

    @field_validator("me")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        out = []
        for raw in v:
            a = normalize_address(raw)
            if not a:
                raise ValueError(f"{raw!r} is not an email address")
            out.append(a)
        return out

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        if v != "local" and v not in available_timezones():
            raise ValueError(f"unknown time zone {v!r}")
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls.toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls.toml_path))
        return tuple(sources)

    @classmethod
    def from_file(cls, path: Path) -> SettingsModel:
        bound = type("BoundSettings", (cls,), {"toml_path": path})
        model = bound()
        assert isinstance(model, SettingsModel)
        return model


def explain(e: ValidationError) -> str:
    """The first problem in one line: where, and what (an unknown key with the nearest
    known one, since a typo must not be silently ignored)."""
    import difflib

    first = e.errors()[0]
    loc = first["loc"]
    where = ".".join(str(x) for x in loc) or "config"
    if first["type"] != "extra_forbidden":
        return f"{where}: {first['msg']}"
    model: type[BaseModel] = SettingsModel
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        inner = model.model_fields[str(part)].annotation
        inner = getattr(inner, "__args__", (inner,))[0]  # list[AccountModel] → AccountModel
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model = inner
    near = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    return f"{where}: unknown setting{hint}"
