"""Fixtures every contract test uses."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI


@pytest.fixture(autouse=True)
def no_os_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """No keyring service here: secrets go to the home's 0600 file, for the CLI too."""
    import keyring
    from keyring.backends import fail

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(fail.Keyring())


# One server for a module's tests: starting and stopping one takes about a second, more
# than the test. Each test's world empties it first.


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Any]:
    """A Dovecot (skipped with the reason where it cannot run, unless in CI).

    Its folder is outside pytest's tmp tree, as in `start_dovecot`: Dovecot's
    unprivileged auth process must reach the passwd file.
    """
    from tests.servers import Dovecot, dovecot_missing

    reason = dovecot_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason}, and CI must run the IMAP tests")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="kithkeep-dovecot-"))
    server = Dovecot.start(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.servers import Radicale

    server = Radicale.start(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()
