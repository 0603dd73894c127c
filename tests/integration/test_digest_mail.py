"""The daily digest mailed to self over SMTP, the password kept as a secret, never shown."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fakes.smtp import FakeSmtp
from tests.integration.test_daemon import ME, config, drop

SECRET = "s3cret-Pa55word-never-shown"


pytestmark = pytest.mark.usefixtures("no_os_keyring")


def smtp_config(home: Path, port: int) -> None:
    with (home / "config.toml").open("a") as f:
        f.write(
            f'\n[digest]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
            'smtp_security = "plain"\nsmtp_user = "robin"\nsmtp_to = "robin@example.com"\n'
        )


def run_digest(home: Path) -> None:
    from kithkeep.services.config.settings import load
    from kithkeep.services.daemon.scheduler import Daemon

    clock = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    Daemon(load(home), clock=lambda: clock).run(once=True)


def every_file_under(home: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in home.rglob("*") if p.is_file() and "secrets" not in p.name
    )


def test_the_digest_is_mailed_with_the_kept_password(tmp_path: Path) -> None:
    home, mail = tmp_path / "home", tmp_path / "mail"
    # A relationship (answered), silent past its rhythm but not yet dormant: due.
    mail.mkdir(parents=True)
    for n, (sender, to) in enumerate((("old@x.example", ME), (ME, "old@x.example"))):
        when = format_datetime(datetime(2025, 6, 1 + n, 9, tzinfo=UTC))
        (mail / f"{n}.eml").write_text(
            f"From: {sender}\nTo: {to}\nSubject: note\nDate: {when}\n"
            f"Message-ID: <note-{n}@x>\n\nhello\n"
        )
    with FakeSmtp("robin", SECRET) as smtp:
        config(home, {"mail": mail})
        smtp_config(home, smtp.port)
        p = run_cli(
            home, "smtp-password", "--password-stdin", check=False, input_text=SECRET + "\n"
        )
        assert p.code == 0 and SECRET not in p.out + p.err
        secrets = home / "secrets.json"
        assert stat.S_IMODE(os.stat(secrets).st_mode) == 0o600
        run_digest(home)
    (sent,) = smtp.box.messages
    assert smtp.box.logins == ["robin"]
    assert sent.recipients == ["robin@example.com"]
    body = sent.data.decode()
    assert "Subject: kithkeep digest 2026-03-02" in body and "old@x.example" in body
    assert SECRET.encode() not in every_file_under(home)


def test_a_refused_login_is_reported_not_raised(tmp_path: Path) -> None:
    home, mail = tmp_path / "home", tmp_path / "mail"
    drop(mail, "old@x.example")
    with FakeSmtp("robin", "the-real-one") as smtp:
        config(home, {"mail": mail})
        smtp_config(home, smtp.port)
        run_cli(home, "smtp-password", "--password-stdin", input_text=SECRET + "\n")
        run_digest(home)
        assert smtp.box.messages == []
    status = run_cli(home, "status", "--json").json()["daemon"]
    assert "refused the login of robin" in status["digest_error"]
    assert (home / "digest" / "2026-03-02.md").exists(), "the file is written all the same"
    assert SECRET.encode() not in every_file_under(home)
