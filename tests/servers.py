"""Real mail and calendar servers on loopback for the IMAP and CalDAV tests.

Dovecot (Debian `dovecot-imapd`, installed by `.ci/run`) and Radicale (a pip test
dependency) each run from a private folder on a free 127.0.0.1 port, seeded, and
are stopped by pid. Dovecot runs as root and drops privileges itself: its mail
belongs to nobody:nogroup and the auth process (user `dovecot`) must be able to read
the passwd file. Radicale's default auth is `denyall`, so the config says htpasswd.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER = "test"
PASSWORD = "test-secret-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], log: Path, banner: bytes = b"") -> None:
    """Until the port answers (with `banner`); else stop the server and say why."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if not banner or s.recv(100).startswith(banner):
                    return
        except OSError:
            time.sleep(0.05)
    _stop(proc)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"server did not come up on 127.0.0.1:{port}\n{tail}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server by its pid: TERM, then KILL if it lingers."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# -- Dovecot ------------------------------------------------------------------------


def dovecot_missing() -> str:
    """Why Dovecot cannot run here ('' when it can)."""
    if shutil.which("dovecot") is None or not Path("/usr/lib/dovecot/imap").exists():
        return "Dovecot is not installed (apt-get install dovecot-imapd; .ci/run does it)"
    if os.geteuid() != 0:
        return "Dovecot test instances run as root (they drop privileges themselves)"
    return ""


_DOVECOT_CONF = """\
instance_name = kithkeep-test-{port}
base_dir = {root}/run
state_dir = {root}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {root}/dovecot.log
mail_location = maildir:~/Maildir
mail_privileged_group =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""


def _seed(files: list[Path], maildir: Path) -> int:
    for d in ("cur", "new", "tmp"):
        (maildir / d).mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    for i, f in enumerate(files, 1):
        shutil.copyfile(f, maildir / "cur" / f"{stamp}.seed{i}.kithkeep:2,S")
    return len(files)


def mail_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@dataclass
class Dovecot:
    root: Path
    port: int
    proc: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD

    @classmethod
    def start(cls, root: Path, *, inbox: list[Path] = (), sent: list[Path] = ()) -> Dovecot:  # type: ignore[assignment]
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        for d in ("run", "state", "mail"):
            (root / d).mkdir(exist_ok=True)
        port = free_port()
        (root / "dovecot.conf").write_text(_DOVECOT_CONF.format(root=root, port=port))
        users = root / "users"
        users.write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        shutil.chown(users, group="dovecot")
        users.chmod(0o640)
        maildir = root / "mail" / USER / "Maildir"
        _seed(list(inbox), maildir)
        if sent:
            _seed(list(sent), maildir / ".Sent")
        subprocess.run(["chown", "-R", "nobody:nogroup", str(root / "mail")], check=True)
        log = root / "dovecot.log"
        with open(root / "stderr.log", "wb") as err:
            proc = subprocess.Popen(
                ["dovecot", "-F", "-c", str(root / "dovecot.conf")],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        _wait(port, proc, log, b"* OK")
        return cls(root, port, proc)

    def stop(self) -> None:
        _stop(self.proc)

    def client(self) -> Any:
        from imapclient import IMAPClient

        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        c.login(self.user, self.password)
        return c


# -- Radicale -----------------------------------------------------------------------


@dataclass
class Radicale:
    root: Path
    port: int
    proc: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @classmethod
    def start(cls, root: Path) -> Radicale:
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        users = root / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        users.chmod(0o600)
        config = root / "config"
        config.write_text(
            f"""[server]
hosts = 127.0.0.1:{port}

[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {root}/collections

[web]
type = none

[logging]
level = warning
mask_passwords = True
"""
        )
        log = root / "radicale.log"
        with open(log, "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        _wait(port, proc, log)
        return cls(root, port, proc)

    def stop(self) -> None:
        _stop(self.proc)

    def calendar(self, name: str = "work") -> Any:
        """A calendar of the test user (made on first use), through the caldav library."""
        from caldav.davclient import DAVClient

        client = DAVClient(
            url=self.url, username=self.user, password=self.password, require_tls=False
        )
        principal = client.principal()
        for cal in principal.calendars():
            if str(cal.url).rstrip("/").endswith("/" + name):
                return cal
        return principal.make_calendar(name=name, cal_id=name)
