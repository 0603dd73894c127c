"""The daemon's and the live projector's log: a rotating file in the home, or stderr."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler

from kithkeep.services.config.settings import Paths


def configure_logging(paths: Paths, foreground: bool) -> None:
    """A rotating file under $KITHKEEP_HOME/logs/, or stderr in the foreground."""
    handler: logging.Handler
    if foreground:
        handler = logging.StreamHandler()
    else:
        (paths.home / "logs").mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            paths.home / "logs" / "kithkeep.log", maxBytes=1_000_000, backupCount=5
        )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("kithkeep")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
