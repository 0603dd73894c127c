"""The one place that reads the environment and the config file.

`home_dir` and `light_policy` are light (stdlib only) so that query commands start
fast; `load` builds the full, validated `Settings` with pydantic-settings.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kithkeep.connectors.limits import DEFAULT as DEFAULT_LIMITS
from kithkeep.connectors.limits import Limits
from kithkeep.domain.errors import ConfigError
from kithkeep.domain.rules import (
    DEFAULT_CADENCE_DAYS,
    DEFAULT_FOLLOW_UP_AFTER_DAYS,
    DEFAULT_MAX_AUDIENCE,
    DEFAULT_OWED_AFTER_DAYS,
)

if TYPE_CHECKING:
    from kithkeep.domain.rules import Policy

ENV_PREFIX = "KITHKEEP_"
CONFIG_NAME = "config.toml"
#: The config file's top-level keys (`schema.SettingsModel`'s fields; a test keeps it so).
TOP_LEVEL_KEYS = frozenset(
    {
        "me", "max_audience", "default_cadence_days", "follow_up_after_days", "timezone",
        "accounts", "daemon", "digest", "gmail", "google_calendar", "outlook", "store",
        "team", "limits", "google_contacts", "owed_after_days",
    }
)  # fmt: skip


def home_dir(option: Path | None = None) -> Path:
    """--home, else $KITHKEEP_HOME, else the platform's user data folder."""
    if option is not None:
        return option.expanduser()
    env = os.environ.get(ENV_PREFIX + "HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("kithkeep", appauthor=False)


@dataclass(frozen=True, slots=True)
class Paths:
    home: Path

    @property
    def config(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def events(self) -> Path:
        return self.home / "events.sqlite"

    @property
    def views(self) -> Path:
        return self.home / "views.sqlite"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None


def read_file(paths: Paths) -> dict[str, Any]:
    """The config file as written ({} if there is none); a broken one is one clear line."""
    return _read_toml(paths.config)


def store_url(paths: Paths) -> str:
    """The PostgreSQL store's URL, read without pydantic; '' for the SQLite store."""
    env = os.environ.get(ENV_PREFIX + "STORE__URL")
    if env is not None:
        return env
    store = _read_toml(paths.config).get("store")
    url = store.get("url", "") if isinstance(store, dict) else ""
    return url if isinstance(url, str) else ""


def light_policy(paths: Paths) -> Policy | None:
    """The rules' settings read without pydantic, for query commands; None if in doubt.

    Query commands must start fast; when the file or environment holds anything this
    quick reading is unsure of, the caller falls back to the full, validated `load`.
    """
    from kithkeep.domain.rules import Policy

    data = _read_toml(paths.config)
    env = os.environ
    try:
        me_raw: Any = env.get(ENV_PREFIX + "ME")
        me = me_raw.split(",") if me_raw is not None else data.get("me", [])
        audience = int(
            env.get(ENV_PREFIX + "MAX_AUDIENCE", data.get("max_audience", DEFAULT_MAX_AUDIENCE))
        )
        days = int(
            env.get(
                ENV_PREFIX + "DEFAULT_CADENCE_DAYS",
                data.get("default_cadence_days", DEFAULT_CADENCE_DAYS),
            )
        )
        follow = int(
            env.get(
                ENV_PREFIX + "FOLLOW_UP_AFTER_DAYS",
                data.get("follow_up_after_days", DEFAULT_FOLLOW_UP_AFTER_DAYS),
            )
        )
        owed = int(
            env.get(
                ENV_PREFIX + "OWED_AFTER_DAYS", data.get("owed_after_days", DEFAULT_OWED_AFTER_DAYS)
            )
        )
    except (TypeError, ValueError, AttributeError):
        return None
    if not isinstance(me, list) or not all(isinstance(a, str) for a in me):
        return None
    if data.get("team") or store_url(paths) or not TOP_LEVEL_KEYS.issuperset(data):
        return None  # a team, a shared store, a key unknown (a typo?): the full settings
    accounts = data.get("accounts", [])
    if not isinstance(accounts, list) or not all(isinstance(a, dict) for a in accounts):
        return None
    own = [a.get("address", "") for a in accounts] + [
        x for a in accounts for x in a.get("addresses", [])
    ]
    if not all(isinstance(a, str) for a in own):
        return None
    me = list(_self_addresses([str(a) for a in me], own)) if own else me
    if not (1 <= audience <= 10_000 and 1 <= days <= 3650 and 1 <= follow <= 3650):
        return None
    if not 0 <= owed <= 365:
        return None
    return Policy.of(
        me,
        max_audience=audience,
        default_cadence_days=days,
        follow_up_after_days=follow,
        owed_after_days=owed,
    )


@dataclass(frozen=True, slots=True)
class Account:
    """A connected source: synced by `kithkeep sync` and by the daemon on a schedule."""

    name: str
    type: str
    path: Path
    interval_seconds: float
    enabled: bool = True
    address: str = ""
    addresses: tuple[str, ...] = ()
    host: str = ""
    port: int = 0
    user: str = ""
    security: str = "tls"
    url: str = ""
    folders: tuple[str, ...] = ()
    since_days: int = 3 * 365
    ahead_days: int = 365
    client_id: str = ""
    tenant: str = "common"
    body_cues: bool = False
    #: `since_days` is written in the config: sources without a window of their own
    #: (folder, caldav) then leave out what is older; otherwise they read everything.
    window_given: bool = False
    contacts: bool = False

    @property
    def self_addresses(self) -> tuple[str, ...]:
        return tuple(a for a in (self.address, *self.addresses) if a)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the providers are: their public clouds unless configured (tests: fakes)."""

    gmail_api: str = ""
    gmail_batch_uri: str = ""
    calendar_api: str = ""
    calendar_batch_uri: str = ""
    outlook_authority_host: str = "login.microsoftonline.com"
    outlook_graph: str = "https://graph.microsoft.com/v1.0"
    outlook_client_id: str = ""
    gmail_quota_per_minute: int = 0
    calendar_quota_per_minute: int = 0
    contacts_api: str = ""


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    digest_time: str = "08:00"
    jitter_seconds: float = 30.0
    backoff_cap_seconds: float = 4 * 3600.0
    notify: bool = True


@dataclass(frozen=True, slots=True)
class DigestMail:
    """Where the daily digest is mailed; off when `smtp_host` is empty."""

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_from: str = ""
    smtp_to: str = ""


@dataclass(frozen=True)
class Settings:
    paths: Paths
    me: tuple[str, ...]
    max_audience: int
    default_cadence_days: int
    timezone: str
    follow_up_after_days: int = DEFAULT_FOLLOW_UP_AFTER_DAYS
    owed_after_days: int = DEFAULT_OWED_AFTER_DAYS
    accounts: tuple[Account, ...] = ()
    daemon: DaemonSettings = DaemonSettings()
    digest: DigestMail = DigestMail()
    #: A PostgreSQL URL, or '' for the SQLite files in the home.
    store_url: str = ""
    #: Team members and their own addresses.
    team: tuple[tuple[str, tuple[str, ...]], ...] = ()
    endpoints: Endpoints = Endpoints()
    limits: Limits = DEFAULT_LIMITS

    def account(self, name: str) -> Account:
        for a in self.accounts:
            if a.name == name:
                return a
        known = ", ".join(a.name for a in self.accounts) or "none yet"
        raise ConfigError(f"no account named {name!r} (accounts: {known})")

    def policy(self) -> Policy:
        from kithkeep.domain.rules import Policy

        return Policy.of(
            self.me,
            team=self.team,
            max_audience=self.max_audience,
            default_cadence_days=self.default_cadence_days,
            follow_up_after_days=self.follow_up_after_days,
            owed_after_days=self.owed_after_days,
        )


def load(home: Path) -> Settings:
    """Config file, overridden by KITHKEEP_* variables, validated."""
    from pydantic import ValidationError

    from kithkeep.services.config.schema import SettingsModel, explain

    paths = Paths(home)
    _read_toml(paths.config)  # a broken file is one clear line, not a traceback
    try:
        model = SettingsModel.from_file(paths.config)
    except ValidationError as e:
        first = e.errors()[0]
        var = env_name(*(str(x) for x in first["loc"][:2]))
        if first["loc"] and var in os.environ:  # the environment's value, not the file's
            raise ConfigError(f"{var}={os.environ[var]!r}: {first['msg']}") from None
        raise ConfigError(f"{paths.config}: {explain(e)}") from None
    return Settings(
        paths=paths,
        me=_self_addresses(
            model.me,
            [a.address for a in model.accounts] + [x for a in model.accounts for x in a.addresses],
        ),
        max_audience=model.max_audience,
        default_cadence_days=model.default_cadence_days,
        follow_up_after_days=model.follow_up_after_days,
        owed_after_days=model.owed_after_days,
        timezone=model.timezone,
        accounts=tuple(_account(paths, a) for a in model.accounts),
        daemon=DaemonSettings(
            model.daemon.digest_time,
            model.daemon.jitter_seconds,
            model.daemon.backoff_cap_minutes * 60,
            model.daemon.notify,
        ),
        digest=DigestMail(**model.digest.model_dump()),
        store_url=model.store.url,
        team=tuple((name, tuple(a)) for name, a in sorted(model.team.members.items())),
        endpoints=Endpoints(
            model.gmail.api_endpoint,
            model.gmail.batch_uri or batch_uri_for(model.gmail.api_endpoint, "gmail/v1"),
            model.google_calendar.api_endpoint,
            model.google_calendar.batch_uri
            or batch_uri_for(model.google_calendar.api_endpoint, "calendar/v3"),
            model.outlook.authority_host,
            model.outlook.graph_endpoint,
            model.outlook.client_id,
            model.gmail.quota_per_minute,
            model.google_calendar.quota_per_minute,
            contacts_api=model.google_contacts.api_endpoint,
        ),
        limits=Limits(**model.limits.model_dump()),
    )


def env_name(*key: str) -> str:
    """The environment variable of a setting: `KITHKEEP_MAX_AUDIENCE`, `KITHKEEP_DAEMON__NOTIFY`."""
    return ENV_PREFIX + "__".join(k.upper() for k in key)


def batch_uri_for(api_endpoint: str, api: str) -> str:
    """Where a Google API's batches go when its calls go to `api_endpoint`: the same root,
    `batch/<api>` ('' for Google's own). Calendar's endpoint includes its `calendar/v3/`."""
    if not api_endpoint:
        return ""
    root = api_endpoint if api_endpoint.endswith("/") else api_endpoint + "/"
    if root.endswith(api + "/"):
        root = root[: -len(api + "/")]
    return f"{root}batch/{api}"


def _self_addresses(me: list[str], accounts: list[str]) -> tuple[str, ...]:
    """`me` from the config, then every account's own addresses, each once."""
    from kithkeep.domain.rules import normalize_address

    out = dict.fromkeys(me)
    for raw in accounts:
        if a := normalize_address(raw):
            out.setdefault(a)
    return tuple(out)


def _account(paths: Paths, a: Any) -> Account:
    path = a.path.expanduser() if a.path is not None else Path()
    return Account(
        a.name,
        a.type,
        path if path.is_absolute() or a.path is None else paths.home / path,
        a.interval_minutes * 60,
        a.enabled,
        address=a.address,
        addresses=tuple(a.addresses),
        host=a.host,
        port=a.port,
        user=a.user,
        security=a.security,
        url=a.url,
        folders=tuple(a.folders),
        since_days=a.since_days,
        ahead_days=a.ahead_days,
        client_id=a.client_id,
        tenant=a.tenant,
        body_cues=a.body_cues,
        window_given="since_days" in a.model_fields_set,
        contacts=a.contacts,
    )


def write_config(paths: Paths, me: list[str], *, force: bool) -> Path:
    """The starting config file, every setting present and commented."""
    if paths.config.exists() and not force:
        raise ConfigError(f"{paths.config} exists; use --force to replace it")
    text = config_text(me)  # checked before anything is written
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.config.write_text(text, encoding="utf-8")
    return paths.config


def config_text(me: list[str]) -> str:
    """The starting config's text; the addresses are checked before anything is written."""
    from kithkeep.domain.rules import normalize_address

    for raw in me:
        a = normalize_address(raw)
        if not a or a.startswith("@") or a.endswith("@") or any(c in a for c in '"\\,;<>'):
            raise ConfigError(f"--me {raw!r} is not an email address")
    quoted = ", ".join(f'"{normalize_address(a)}"' for a in me)
    return (
        "# kithkeep configuration. Every setting can also be given as KITHKEEP_<NAME>.\n\n"
        "# Your own addresses: every account's address, aliases, send-as addresses.\n"
        f"me = [{quoted}]\n\n"
        "# Messages to more people than this (not counting you) are bulk, not contact.\n"
        f"max_audience = {DEFAULT_MAX_AUDIENCE}\n\n"
        "# How often to be in touch when neither you nor the history says otherwise.\n"
        f"default_cadence_days = {DEFAULT_CADENCE_DAYS}\n\n"
        "# Days after an introduction (or your last follow-up) before you should check in.\n"
        f"follow_up_after_days = {DEFAULT_FOLLOW_UP_AFTER_DAYS}\n\n"
        "# Days before personal mail you have not answered is a reply owed (`kithkeep owed`).\n"
        f"owed_after_days = {DEFAULT_OWED_AFTER_DAYS}\n\n"
        '# Time zone for calendar times without one ("local": this machine\'s).\n'
        'timezone = "local"\n'
    )
