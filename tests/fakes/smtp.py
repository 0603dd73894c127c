"""A small SMTP server on loopback that keeps what it is sent (a stateful fake, not a mock).

It speaks enough of RFC 5321 for `smtplib`: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class Mailbox:
    user: str
    password: str
    messages: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        box = self.server.box
        sender, recipients = "", []
        self.reply("220 fake.smtp ready")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fake.smtp")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(command.split()[2]).split(b"\0")
                box.logins.append(user.decode())
                ok = (user.decode(), password.decode()) == (box.user, box.password)
                self.reply("235 ok" if ok else "535 authentication failed")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].strip(" <>")
                self.reply("250 ok")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                box.messages.append(Received(sender, recipients, data))
                sender, recipients = "", []
                self.reply("250 kept")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    box: Mailbox


class FakeSmtp:
    """`with FakeSmtp(user, password) as smtp:` serves on 127.0.0.1:`smtp.port`."""

    def __init__(self, user: str, password: str) -> None:
        self.box = Mailbox(user, password)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.box = self.box
        self.port = self._server.server_address[1]

    def __enter__(self) -> FakeSmtp:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
