"""Referrals the user logs or judges: `refer`, and `referrals dismiss|close|reopen`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from kithkeep.domain.aggregates import Referrals, referral_id
from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.settings import Settings
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases.directives import address
from kithkeep.services.usecases.views import open_views

#: What the user can say of an introduction kithkeep found or was told of.
Verdict = Literal["dismiss", "close", "reopen"]


def _referral_act(settings: Settings, act: Callable[[Referrals], None]) -> None:
    """Record the user's word on introductions, then bring the views up to date."""
    with open_runtime(settings) as rt:
        with rt.store.referral_ledger() as ledger:
            act(ledger)
        rt.project()


def refer(settings: Settings, a: str, b: str, made_at: datetime, note: str) -> str:
    """Log an introduction made outside mail; its id."""
    x, y = sorted((address(a), address(b)))
    if x == y:
        raise ConfigError("an introduction needs two different people")
    policy = settings.policy()
    for party in (x, y):
        if policy.is_self(party):
            raise ConfigError(f"{party} is you: an introduction is between two other people")
    rid = referral_id(f"logged:{x}:{y}:{int(made_at.timestamp())}:{note}")
    _referral_act(settings, lambda ledger: ledger.log(rid, x, y, made_at, note))
    return rid


def mark_referral(settings: Settings, prefix: str, verdict: Verdict) -> str:
    """Dismiss, close or reopen the introduction whose id starts with `prefix`."""
    rid = _find_referral(settings, prefix)
    mark_all(settings, [(rid, verdict)])
    return rid


def mark_all(settings: Settings, marks: Sequence[tuple[str, Verdict]]) -> None:
    """Several verdicts on introductions by id, recorded together."""

    def act(ledger: Referrals) -> None:
        for rid, verdict in marks:
            {"dismiss": ledger.dismiss, "close": ledger.close, "reopen": ledger.reopen}[verdict](
                rid
            )

    _referral_act(settings, act)


def _find_referral(settings: Settings, prefix: str) -> str:
    p = prefix.strip().lower()
    if len(p) < 3:
        raise ConfigError("give at least the first 3 characters of an introduction's id")
    conn, _ = open_views(settings.paths, heavy=lambda: settings)
    try:
        ids = {
            rid
            for (rid,) in conn.execute(
                "SELECT id FROM intros WHERE kind != 'optin' AND id LIKE ? "
                "UNION SELECT id FROM referral_marks WHERE kind = 'logged' AND id LIKE ?",
                (p + "%", p + "%"),
            )
        }
    finally:
        conn.close()
    if not ids:
        raise ConfigError(f"no introduction has an id starting with {prefix!r}")
    if len(ids) > 1:
        raise ConfigError(f"{prefix!r} matches {len(ids)} introductions; give more of the id")
    return str(ids.pop())
