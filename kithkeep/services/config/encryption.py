"""An encrypted home's key: from the OS keyring, else derived from a passphrase.

`$KITHKEEP_HOME/encryption.json` says that a home is encrypted and how its key is found:
`"key": "keyring"` (a random key kept in the OS keyring, never in a file), or
`"key": "passphrase"` (scrypt of a passphrase asked at the prompt or read from the file
named by `KITHKEEP_PASSPHRASE_FILE`, itself refused if others can read it). It holds the
scrypt salt and parameters and an HMAC that tells a wrong key at once, so a wrong or
missing key is one line before anything is opened, and never a new empty store. The
64-byte key splits in two: AES-256-GCM for the events (the `eventsourcing` library's
cipher), and SQLCipher's raw key for the views. Stdlib only: query commands start fast.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.privacy import check_secret_file
from kithkeep.services.config.settings import ENV_PREFIX, Paths

FILE = "encryption.json"
PASSPHRASE_FILE = ENV_PREFIX + "PASSPHRASE_FILE"
KEYRING_NAME = "encryption-key"
#: scrypt's cost: 2**15 × 8 × 128 bytes = 32 MiB and ~0.1 s, once per command.
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
#: The state while `kithkeep encrypt` has not finished.
ENCRYPTING = "encrypting"
ENCRYPTED = "encrypted"

_cache: dict[Path, HomeKey] = {}


@dataclass(frozen=True, slots=True)
class HomeKey:
    """The two keys of an encrypted home, derived from one secret."""

    secret: bytes  # 64 bytes

    @property
    def events(self) -> str:
        """AES-256 for the events, as the library's `CIPHER_KEY` (base64)."""
        return base64.b64encode(self.secret[:32]).decode()

    @property
    def views(self) -> str:
        """SQLCipher's raw key for the views (a `PRAGMA key` value)."""
        return f"\"x'{self.secret[32:].hex()}'\""

    def check(self) -> str:
        return hmac.new(self.secret, b"kithkeep key check", hashlib.sha256).hexdigest()


def _file(paths: Paths) -> Path:
    return paths.home / FILE


def described(paths: Paths) -> dict[str, object] | None:
    """What encryption.json says, or None for a home in clear."""
    path = _file(paths)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise ConfigError(
            f"{path}: cannot be read ({e}); without it the home cannot open"
        ) from None
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ConfigError(f"{path}: not an encryption description this kithkeep knows")
    return data


def encrypted(paths: Paths) -> bool:
    return _file(paths).exists()


def home_key(paths: Paths, *, finished: bool = True) -> HomeKey | None:
    """The home's key (None if it is in clear); a wrong or missing one is a ConfigError.

    With `finished`, a home whose encryption was interrupted is refused (only
    `kithkeep encrypt` opens it, to finish).
    """
    home = paths.home.resolve()
    data = described(paths)
    if data is None:
        return None
    if finished and data.get("state") != ENCRYPTED:
        raise ConfigError(
            f"encrypting {paths.home} was interrupted: run `kithkeep encrypt` again to finish"
        )
    if home in _cache:
        return _cache[home]
    if data.get("key") == "keyring":
        found = _keyring_get(paths)
        if found is None:
            raise ConfigError(
                f"{paths.home} is encrypted with a key in the OS keyring, and the keyring "
                "does not have it (another user, another machine?)"
            )
        key = HomeKey(base64.b64decode(found))
    else:
        kdf = data.get("kdf")
        if not isinstance(kdf, dict):
            raise ConfigError(f"{_file(paths)}: no key derivation given")
        key = derive(passphrase(paths, confirm=False), kdf)
    if not hmac.compare_digest(key.check(), str(data.get("check", ""))):
        raise ConfigError(f"wrong passphrase or key for the encrypted home {paths.home}")
    _cache[home] = key
    return key


def derive(phrase: str, kdf: dict[str, object]) -> HomeKey:
    salt = base64.b64decode(str(kdf["salt"]))
    n, r, p = (int(str(kdf[k])) for k in ("n", "r", "p"))
    secret = hashlib.scrypt(
        phrase.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=64
    )
    return HomeKey(secret)


def passphrase(paths: Paths, *, confirm: bool) -> str:
    """From `KITHKEEP_PASSPHRASE_FILE` (refused if others can read it), else the prompt."""
    named = os.environ.get(PASSPHRASE_FILE)
    if named:
        path = Path(named).expanduser()
        check_secret_file(path)
        try:
            phrase = path.read_text().rstrip("\r\n")
        except OSError as e:
            raise ConfigError(f"{PASSPHRASE_FILE}={path}: {e.strerror}") from None
    elif sys.stdin.isatty():
        import getpass

        phrase = getpass.getpass(f"Passphrase for {paths.home}: ")
        if confirm and getpass.getpass("Again: ") != phrase:
            raise ConfigError("the two passphrases differ; nothing was changed")
    else:
        raise ConfigError(
            f"{paths.home} is encrypted: give its passphrase at a prompt, or in a file "
            f"named by {PASSPHRASE_FILE} (mode 0600)"
        )
    if len(phrase) < 8:
        raise ConfigError("a passphrase needs at least 8 characters")
    return phrase


def create(paths: Paths, *, state: str) -> HomeKey:
    """A new key for the home (the keyring's if one works, else a passphrase's)."""
    secret = secrets.token_bytes(64)
    data: dict[str, object]
    if not os.environ.get(PASSPHRASE_FILE) and _keyring_set(paths, secret):
        key, data = HomeKey(secret), {"key": "keyring"}
    else:
        kdf: dict[str, object] = {
            "name": "scrypt",
            "salt": base64.b64encode(secrets.token_bytes(16)).decode(),
            **SCRYPT,
        }
        key = derive(passphrase(paths, confirm=True), kdf)
        data = {"key": "passphrase", "kdf": kdf}
    write(paths, {"version": 1, **data, "check": key.check(), "state": state})
    _cache[paths.home.resolve()] = key
    return key


def mark(paths: Paths, state: str) -> None:
    data = described(paths)
    assert data is not None
    write(paths, {**data, "state": state})


def write(paths: Paths, data: dict[str, object]) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    tmp = _file(paths).with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, _file(paths))


def _keyring_get(paths: Paths) -> str | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password("kithkeep", f"{paths.home.resolve()}:{KEYRING_NAME}")
    except KeyringError:
        return None


def _keyring_set(paths: Paths, secret: bytes) -> bool:
    """Keep the key in the OS keyring (never the secrets file beside the data)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(
            "kithkeep", f"{paths.home.resolve()}:{KEYRING_NAME}", base64.b64encode(secret).decode()
        )
    except KeyringError:
        return False
    return True
