"""Same person, several addresses: suggestions with their evidence, accepted or refused.

Accepting links the two addresses (a `MergeAccepted` event, undone by `unlink`);
refusing is a `MergeRejected` event, so the pair is never proposed again, across
`rebuild` too.
"""

from __future__ import annotations

from kithkeep.domain.errors import ConfigError
from kithkeep.projections.suggestions import Suggestion, merge_suggestions
from kithkeep.services.config.settings import Settings
from kithkeep.services.runtime import open_runtime
from kithkeep.services.usecases.views import read_views


def suggestions(settings: Settings) -> list[Suggestion]:
    """Pairs of addresses that are probably one person, neither linked nor refused."""
    with open_runtime(settings) as rt:
        rt.project()
    c = read_views(settings)
    try:
        return merge_suggestions(c)
    finally:
        c.close()


def _find(settings: Settings, merge_id: str) -> Suggestion:
    wanted = merge_id.strip().lower()
    found = [s for s in suggestions(settings) if s.id.startswith(wanted)] if wanted else []
    if len(found) != 1:
        what = "no" if not found else "more than one"
        raise ConfigError(
            f"{what} merge suggestion has the id {merge_id!r} (see `kithkeep merges`)"
        )
    return found[0]


def accept(settings: Settings, merge_id: str) -> Suggestion:
    """The two addresses are one person from now on."""
    return _decide(settings, merge_id, accept=True)


def reject(settings: Settings, merge_id: str) -> Suggestion:
    """Never propose this pair again."""
    return _decide(settings, merge_id, accept=False)


def _decide(settings: Settings, merge_id: str, *, accept: bool) -> Suggestion:
    s = _find(settings, merge_id)
    a, b = s.addresses
    with open_runtime(settings) as rt:
        with rt.store.directives() as directives:
            (directives.accept_merge if accept else directives.reject_merge)(a, b)
        rt.project()
    return s
