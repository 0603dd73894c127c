"""Fixtures every contract test uses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import dovecot_or_skip


@pytest.fixture(autouse=True)
def _secrets_in_the_file(no_os_keyring: None) -> None:
    """Every contract test keeps its secrets in the home's 0600 file (no keyring here)."""


# One server for a module's tests: starting and stopping one takes about a second, more
# than the test. Each test's world empties it first.


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Any]:
    """A Dovecot (skipped with the reason where it cannot run, unless in CI).

    Its folder is outside pytest's tmp tree, as in `start_dovecot`: Dovecot's
    unprivileged auth process must reach the passwd file.
    """
    server = dovecot_or_skip()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="module")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.servers import Radicale

    server = Radicale.start(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()
