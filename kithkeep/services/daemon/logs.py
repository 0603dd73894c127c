"""The daemon's and the live projector's log: a rotating file in the home, or stderr."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

from kithkeep.services.config.settings import Paths


def configure_logging(paths: Paths, foreground: bool, *, also_stderr: bool = False) -> None:
    """A rotating file under $KITHKEEP_HOME/logs/ (and stderr too, if asked), or stderr
    alone in the foreground."""
    handlers: list[logging.Handler] = []
    if foreground or also_stderr:
        handlers.append(logging.StreamHandler())
    if not foreground:
        (paths.home / "logs").mkdir(parents=True, exist_ok=True)
        handlers.append(
            RotatingFileHandler(
                paths.home / "logs" / "kithkeep.log", maxBytes=1_000_000, backupCount=5
            )
        )
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("kithkeep")
    root.handlers[:] = handlers
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
