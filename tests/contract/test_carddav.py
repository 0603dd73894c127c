"""The address-book contract against a real Radicale on loopback (tests/servers.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from kithkeep.services.accounts.base import secret_name
from kithkeep.services.config.secrets import set_secret
from kithkeep.services.config.settings import Paths, write_config
from tests.contract.cards import CardContract, CardSpec, CardWorld
from tests.contract.contract import ME, append_account

_MKCOL = (
    '<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
    "<D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"
    "</D:prop></D:set></D:mkcol>"
)


class RadicaleBooks(CardWorld):
    """Two address books; cards alternate between them."""

    books = 2

    def __init__(self, server: Any, counter: list[int]) -> None:
        super().__init__()
        self.server = server
        self.counter = counter
        self.http = requests.Session()
        self.http.auth = (server.user, server.password)
        self.base = f"{server.url}{server.user}/"
        self.http.request("PROPFIND", self.base, headers={"Depth": "0"}).raise_for_status()
        for name in ("friends", "work"):
            self.http.delete(self.base + name + "/")  # what an earlier test left goes
            self.http.request("MKCOL", self.base + name + "/", data=_MKCOL).raise_for_status()

    def _url(self, i: int) -> str:
        return f"{self.base}{('friends', 'work')[i % 2]}/card-{i}.vcf"

    def configure(self, home: Path) -> None:
        write_config(Paths(home), [ME], force=True)
        append_account(
            home,
            {"name": self.account, "type": "carddav", "url": self.server.url, "user": "test"},
        )
        set_secret(Paths(home), secret_name(self.account, "password"), self.server.password)

    def _put(self, spec: CardSpec) -> None:
        self.http.put(
            self._url(spec.i), data=spec.vcard(), headers={"Content-Type": "text/vcard"}
        ).raise_for_status()

    def _delete(self, i: int) -> None:
        self.http.delete(self._url(i)).raise_for_status()

    def expire_cursor(self, home: Path) -> None:
        # Radicale forgets every sync token it gave (its cache of them is gone).
        tokens = list(self.server.root.glob("collections/**/.Radicale.cache/sync-token/*"))
        assert tokens
        for token in tokens:
            token.unlink()

    def requests(self) -> int:
        return self.counter[0]


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many requests kithkeep's CardDAV client sent (counted as they leave)."""
    sent = [0]
    send = requests.adapters.HTTPAdapter.send

    def counted(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.headers.get("User-Agent") == "kithkeep":
            sent[0] += 1
        return send(adapter, request, *args, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counted)
    return sent


class TestCarddavAgainstRadicale(CardContract):
    @pytest.fixture
    def world(self, radicale_server: Any, counter: list[int]) -> Iterator[CardWorld]:
        world = RadicaleBooks(radicale_server, counter)
        yield world
        world.http.close()

    def test_account_add_and_sync_as_a_user_does(
        self, world: RadicaleBooks, tmp_path: Path
    ) -> None:
        from tests.conftest import run_cli

        world.seed()
        home = tmp_path / "home"
        run_cli(home, "init", "--me", ME)
        url, user = world.server.url, world.server.user
        wrong = run_cli(
            home, "account", "add", "carddav", "--url", url, "--user", user,
            "--password-stdin", input_text="wrong-password\n", check=False,
        )  # fmt: skip
        assert wrong.code == 1 and "login refused for test" in wrong.err
        assert "Traceback" not in wrong.err and "wrong-password" not in wrong.err
        run_cli(
            home, "account", "add", "carddav", "--url", url, "--user", user,
            "--name", "book", "--password-stdin", input_text=world.server.password + "\n",
        )  # fmt: skip
        out = run_cli(home, "sync").out
        assert "book: 0 new, 0 withdrawn" in out
        assert "contact cards: 5 new or changed, 0 withdrawn" in out
        world.delete(2)
        assert "contact cards: 0 new or changed, 1 withdrawn" in run_cli(home, "sync").out


class _NoSyncCollection(BaseHTTPRequestHandler):
    """Forwards every request to Radicale but refuses sync-collection, as servers
    without RFC 6578 do (403 with DAV:supported-report)."""

    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.command == "REPORT" and b"sync-collection" in body:
            answer = b'<?xml version="1.0"?><D:error xmlns:D="DAV:"><D:supported-report/></D:error>'
            self._send(403, answer, "application/xml")
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["User-Agent"] = "proxy"  # not counted as the client's request
        r = requests.request(
            self.command, self.server.upstream + self.path, data=body, headers=headers, timeout=30
        )
        self._send(r.status_code, r.content, r.headers.get("Content-Type", "text/plain"))

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_DELETE = do_PROPFIND = do_REPORT = do_MKCOL = do_OPTIONS = _forward


class _Proxied:
    """Radicale, as a server without sync-collection shows it."""

    def __init__(self, server: Any) -> None:
        self.inner = server
        self.user, self.password, self.root = server.user, server.password, server.root
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), _NoSyncCollection)
        self.http.daemon_threads = True
        self.http.upstream = server.url.rstrip("/")  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


class RadicaleBooksWithoutSync(RadicaleBooks):
    def expire_cursor(self, home: Path) -> None:
        """No token to expire: every sync compares the books' etags with those held."""


class TestCarddavWithoutSyncCollection(CardContract):
    """The same contract where the server has no sync-collection: etags are compared."""

    @pytest.fixture
    def world(self, radicale_server: Any, counter: list[int]) -> Iterator[CardWorld]:
        proxy = _Proxied(radicale_server)
        world = RadicaleBooksWithoutSync(proxy, counter)
        yield world
        world.http.close()
        proxy.stop()
