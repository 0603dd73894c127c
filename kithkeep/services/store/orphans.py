"""A forked helper dies with the process that forked it, however that one ends.

On Linux the kernel is asked to send SIGKILL to the helper when its parent dies
(`PR_SET_PDEATHSIG`), so a SIGKILLed import leaves nothing behind; elsewhere the
helpers watch their parent's pid. A helper ignores Ctrl-C: the parent, which owns the
terminal, stops it and reports in one line.
"""

from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Called first thing in a forked helper whose parent is `parent`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(0)
