"""Outlook / Microsoft 365: device-code sign-in through msal, and the account's source.

msal's `SerializableTokenCache` is the only thing kept between runs: in the OS keyring
(else the 0600 secrets file) under `account:<name>:cache`, written back only when msal
says it changed. Tokens and the cache never reach a log, an event, the config or an
error message: errors name the failure (msal's error code), never its content.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kithkeep.connectors.base import Source
from kithkeep.domain.errors import ConfigError, ConnectorError
from kithkeep.domain.rules import normalize_address
from kithkeep.services.accounts.base import Added, Provider, SyncContext, secret_name
from kithkeep.services.config.editing import add_account, update_account
from kithkeep.services.config.secrets import get_secret, set_secret
from kithkeep.services.config.settings import Account, Paths, Settings, load

if TYPE_CHECKING:
    import requests
    from msal import PublicClientApplication

    from kithkeep.connectors.graph import GraphClient

#: Read-only: the profile (own addresses), mail metadata, calendars. msal adds
#: openid, profile and offline_access (for the refresh token) by itself.
SCOPES = ("User.Read", "Mail.Read", "Calendars.Read")
#: With contacts (`--with-contacts`): their names, addresses, companies, birthdays.
CONTACTS_SCOPES = (*SCOPES, "Contacts.Read")
PUBLIC_CLOUD = "login.microsoftonline.com"
#: How often a sync asks `/me` again for the account's own addresses (aliases change).
RECHECK_SELF = timedelta(days=1)
_PROFILE = {"$select": "mail,userPrincipalName,proxyAddresses"}


class Tokens:
    """Access tokens for one account from its msal cache; the cache saved when it changed."""

    def __init__(
        self,
        paths: Paths,
        account: str | None,
        client_id: str,
        tenant: str,
        host: str,
        scopes: tuple[str, ...] = SCOPES,
    ) -> None:
        import msal

        self._paths, self._account = paths, account
        self._scopes = list(scopes)
        self._client_id = client_id
        self._authority = f"https://{host}/{tenant or 'common'}"
        self._discovery = host == PUBLIC_CLOUD  # elsewhere msal would ask the public cloud
        self.cache = msal.SerializableTokenCache()
        raw = get_secret(paths, secret_name(account, "cache")) if account else None
        if raw:
            # An unreadable cache is no sign-in: said when a token is needed, without its content.
            with contextlib.suppress(ValueError):
                self.cache.deserialize(raw)
        self._app: Any = None
        #: One HTTP client, with timeouts, for sign-in and Graph alike.
        self.http = http_session()
        self._token = ""
        self.scopes: set[str] = set()

    @property
    def app(self) -> PublicClientApplication:
        if self._app is None:
            import msal
            import requests

            try:
                self._app = msal.PublicClientApplication(
                    self._client_id,
                    authority=self._authority,
                    token_cache=self.cache,
                    instance_discovery=self._discovery,
                    http_client=self.http,
                )
            except (ValueError, requests.RequestException) as e:
                raise ConnectorError(
                    f"outlook: cannot reach the sign-in service ({type(e).__name__})"
                ) from None
        return self._app

    def __call__(self, refresh: bool) -> str:
        if self._token and not refresh:
            return self._token
        accounts = self.app.get_accounts()
        if not accounts:
            raise ConnectorError(
                f"outlook account {self._account}: not signed in; "
                "run `kithkeep account add outlook` again"
            )
        result = self._acquire(
            lambda: self.app.acquire_token_silent_with_error(
                self._scopes, account=accounts[0], force_refresh=refresh
            )
        )
        if not result or "access_token" not in result:
            code = (result or {}).get("error", "no token")
            raise ConnectorError(
                f"outlook account {self._account}: the sign-in has expired ({code}); "
                "run `kithkeep account add outlook` again"
            )
        return self._took(result)

    def _acquire(self, call: Callable[[], Any]) -> Any:
        import requests

        try:
            return call()
        except requests.RequestException as e:
            raise ConnectorError(
                f"outlook: cannot reach the sign-in service ({type(e).__name__})"
            ) from None

    def _took(self, result: dict[str, Any]) -> str:
        self._token = str(result["access_token"])
        if result.get("scope"):  # absent when msal answers from its cache
            self.scopes = {s.lower() for s in str(result["scope"]).split()}
        self.save()
        return self._token

    def save(self) -> None:
        if self._account and self.cache.has_state_changed:
            set_secret(self._paths, secret_name(self._account, "cache"), self.cache.serialize())
            self.cache.has_state_changed = False

    def device_sign_in(self, echo: Callable[[str], None]) -> None:
        flow = self._acquire(lambda: self.app.initiate_device_flow(scopes=self._scopes))
        if "user_code" not in flow:
            raise ConnectorError(f"outlook: sign-in could not start ({flow.get('error')})")
        echo(str(flow.get("message") or ""))
        result = self._acquire(lambda: self.app.acquire_token_by_device_flow(flow))
        if "access_token" not in result:
            raise ConnectorError(f"outlook: sign-in failed ({result.get('error', 'no token')})")
        self._took(result)


def http_session() -> requests.Session:
    """A `requests` session whose every request has a timeout (msal sets none itself)."""
    import requests

    from kithkeep.connectors.graph import TIMEOUT

    class Session(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", TIMEOUT)
            return super().request(*args, **kwargs)

    return Session()


def _client_id(settings: Settings, given: str) -> str:
    client_id = given or settings.endpoints.outlook_client_id
    if not client_id:
        raise ConfigError(
            "outlook needs an app registration: pass --client-id or set [outlook] client_id "
            f"in {settings.paths.config} (see the README)"
        )
    return client_id


def self_addresses(profile: dict[str, Any]) -> tuple[str, list[str]]:
    """The account's address and its aliases from `/me`: mail, UPN, SMTP proxy addresses."""
    found: list[str] = []
    for raw in [profile.get("mail"), profile.get("userPrincipalName")] + [
        p.split(":", 1)[1]
        for p in profile.get("proxyAddresses") or ()
        if isinstance(p, str) and p.lower().startswith("smtp:")
    ]:
        a = normalize_address(str(raw or ""))
        if a and a not in found:
            found.append(a)
    if not found:
        raise ConnectorError("outlook: the profile has no mail address")
    return found[0], found[1:]


def sign_in(
    settings: Settings,
    *,
    name: str | None,
    client_id: str,
    tenant: str,
    interval: float,
    echo: Callable[[str], None],
    since_days: int | None = None,
    contacts: bool = False,
) -> Account:
    """Device-code sign-in, the account's own addresses from `/me`, then the config entry."""
    from kithkeep.connectors.graph import GraphClient

    client_id = _client_id(settings, client_id)
    if not re.fullmatch(r"[\w.-]{1,100}", tenant):
        raise ConfigError(f"--tenant {tenant!r}: a tenant id, a domain, common or organizations")
    ends = settings.endpoints
    # The cache is filed under the account's name once it has one.
    scopes = CONTACTS_SCOPES if contacts else SCOPES
    tokens = Tokens(settings.paths, None, client_id, tenant, ends.outlook_authority_host, scopes)
    tokens.device_sign_in(echo)
    client = GraphClient(tokens, session=tokens.http)
    try:
        address, aliases = self_addresses(client.get(f"{ends.outlook_graph}/me", _PROFILE))
    finally:
        client.close()
    account = add_account(
        settings.paths,
        {
            "name": name or address,
            "type": "outlook",
            "address": address,
            "addresses": aliases,
            "client_id": client_id if client_id != ends.outlook_client_id else "",
            "tenant": tenant,
            "interval_minutes": interval,
            **({"since_days": since_days} if since_days is not None else {}),
            "contacts": contacts or None,
        },
    )
    set_secret(settings.paths, secret_name(account.name, "cache"), tokens.cache.serialize())
    _checked(SyncContext(settings, datetime.now(UTC), UTC).state_path(account)).touch()
    return account


def _checked(state: Path) -> Path:
    state.parent.mkdir(parents=True, exist_ok=True)
    return state.with_suffix(".self-checked")


def recheck_self(account: Account, context: SyncContext, client: GraphClient) -> Account:
    """Once a day: the account's addresses as `/me` has them now, written to the config."""
    marker = _checked(context.state_path(account))
    try:
        last = marker.stat().st_mtime
    except OSError:
        last = 0.0
    if context.now.timestamp() - last < RECHECK_SELF.total_seconds():
        return account
    graph = context.settings.endpoints.outlook_graph.rstrip("/")
    address, aliases = self_addresses(client.get(f"{graph}/me", _PROFILE))
    known = [a for a in (account.address, *account.addresses) if a]
    found = [a for a in (address, *aliases) if a not in known]
    if found:
        # Never drop an address: mail once sent from it is still the user's own.
        account = update_account(
            context.paths,
            account.name,
            {"address": account.address or address, "addresses": [*account.addresses, *found]},
        )
    marker.touch()
    return account


def outlook_source(account: Account, context: SyncContext) -> Source:
    from kithkeep.connectors.graph import DEFAULT_FOLDERS, GraphClient, GraphSource

    settings = context.settings
    ends = settings.endpoints
    tokens = Tokens(
        settings.paths,
        account.name,
        _client_id(settings, account.client_id),
        account.tenant,
        ends.outlook_authority_host,
        CONTACTS_SCOPES if account.contacts else SCOPES,
    )
    client = GraphClient(tokens, session=tokens.http)
    account = recheck_self(account, context, client)

    def full_select() -> bool:
        # Mail.ReadBasic leaves out headers and previews: then ask only for the basics.
        tokens(False)
        return not tokens.scopes or "mail.read" in tokens.scopes

    source = GraphSource(
        key=f"outlook:{account.name}",
        client=client,
        full_select=full_select,
        graph=ends.outlook_graph.rstrip("/"),
        index=context.index(account),
        now=context.now,
        local_tz=context.local_tz,
        folders=account.folders or DEFAULT_FOLDERS,
        since_days=account.since_days,
        ahead_days=account.ahead_days,
        origin=f"outlook:{account.name}",
    )
    if not account.contacts:
        return source
    from kithkeep.connectors.graph_contacts import GraphContactsSource, WithContacts

    book = GraphContactsSource(GraphClient(tokens, session=tokens.http), source.graph)
    return WithContacts(source, book)


# -- the provider ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutlookRequest:
    """`account add outlook`: the app registration and tenant; sign-in messages go to `echo`."""

    name: str | None = None
    client_id: str = ""
    tenant: str = "common"
    interval_minutes: float = 15
    echo: Callable[[str], None] = print
    since_days: int | None = None
    contacts: bool = False


class OutlookProvider(Provider[OutlookRequest]):
    kinds = ("outlook",)

    def add(self, paths: Paths, request: OutlookRequest) -> list[Added]:
        r = request
        account = sign_in(
            load(paths.home),
            name=r.name,
            client_id=r.client_id,
            tenant=r.tenant,
            interval=r.interval_minutes,
            echo=r.echo,
            since_days=r.since_days,
            contacts=r.contacts,
        )
        return [Added(account)]

    def source(self, account: Account, context: SyncContext) -> Source:
        return outlook_source(account, context)
