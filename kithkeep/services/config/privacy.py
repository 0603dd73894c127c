"""The home is private: folders 0700, files 0600, and secrets files no one else can read.

`make_private` sets the process's umask (0077) before anything is written, so every
file kithkeep creates (the SQLite files and their WAL, logs, digests, the daemon's
files) is the user's alone; `tighten` takes away what group and others may do with
what an older kithkeep left behind. A secrets file is never tightened: like ssh with a
private key, kithkeep refuses to read one that someone else could have read already.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kithkeep.domain.errors import ConfigError

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
#: Refused, never tightened, when group or others may read or write them.
SECRET_FILES = frozenset({"secrets.json"})


def make_private() -> None:
    """From now on, whatever this process creates is readable by the user alone."""
    os.umask(0o077)


def tighten(home: Path) -> list[Path]:
    """Make every folder under the home 0700 and every file 0600; what was changed.

    Secrets files are left as they are (`check_secret_file` refuses them instead);
    symbolic links are not followed.
    """
    if not home.is_dir() or home.is_symlink():
        return []
    changed: list[Path] = []
    _tighten_one(home, PRIVATE_DIR, changed)
    for root, dirs, files in os.walk(home):
        for name in dirs:
            _tighten_one(Path(root, name), PRIVATE_DIR, changed)
        for name in files:
            if name not in SECRET_FILES:
                _tighten_one(Path(root, name), PRIVATE_FILE, changed)
    return changed


def _tighten_one(path: Path, mode: int, changed: list[Path]) -> None:
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:
            return
        if st.st_uid != os.getuid():
            return  # not ours to change (a shared folder someone else set up)
        path.chmod(mode if stat.S_ISDIR(st.st_mode) else stat.S_IMODE(st.st_mode) & mode)
    except OSError:
        return
    changed.append(path)


def check_secret_file(path: Path) -> None:
    """Refuse a secrets file that group or others can read or write, with the fix."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # missing: nothing kept there yet
    if mode & 0o077:
        raise ConfigError(
            f"{path} is accessible by others (mode {mode:04o}), so it is not read: "
            f"run `chmod 600 {path}` (and change any password it held if others may "
            "have read it)"
        )
