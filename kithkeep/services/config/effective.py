"""`config show`: every effective setting, and where it came from (default, file, environment)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kithkeep.services.config.settings import Paths, env_name, load, read_file

Source = Literal["default", "file", "environment"]


@dataclass(frozen=True, slots=True)
class Effective:
    """One setting as kithkeep uses it: its dotted name, its value, where that came from."""

    name: str
    value: object
    source: Source

    def as_json(self) -> dict[str, object]:
        return {"value": self.value, "source": self.source}


def effective(home: Path) -> list[Effective]:
    """Every setting of the validated model, in the model's order, with its source."""
    from kithkeep.services.config.schema import SettingsModel

    paths = Paths(home)
    data = read_file(paths)
    load(home)  # the settings must be valid: their errors are one line, naming the culprit
    model = SettingsModel.from_file(paths.config).model_dump(mode="json")
    out: list[Effective] = []
    for key, value in model.items():
        if isinstance(value, dict) and key not in ("team",):
            section = data.get(key)
            for sub, v in value.items():
                in_file = isinstance(section, dict) and sub in section
                out.append(_one(f"{key}.{sub}", v, (key, sub), in_file))
        elif key == "accounts":
            # Accounts are only ever written by `account add` (or by hand) in the file.
            names = [a["name"] for a in value]
            out.append(Effective(key, names, "file" if names else "default"))
        else:
            out.append(_one(key, value, (key,), key in data))
    return out


def _one(name: str, value: object, key: tuple[str, ...], in_file: bool) -> Effective:
    if name == "store.url" and isinstance(value, str):
        value = _hide_password(value)
    source: Source = (
        "environment" if env_name(*key) in os.environ else "file" if in_file else "default"
    )
    return Effective(name, value, source)


def _hide_password(url: str) -> str:
    """A URL as it may be shown: never with its password."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
