"""The PostgreSQL store's URL: parsed, its password kept out of every message."""

from __future__ import annotations

from pathlib import Path

import pytest

from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.settings import Paths, load, store_url, write_config
from kithkeep.services.store.postgres import PASSWORD_SECRET, parse_url, target_for


def test_a_url_is_parsed_and_shown_without_its_password() -> None:
    t = parse_url("postgresql://kk:p%40ss@db.example:6543/team")
    assert (t.host, t.port, t.dbname, t.user, t.password) == (
        "db.example", 6543, "team", "kk", "p@ss",
    )  # fmt: skip
    assert t.shown == "postgresql://kk@db.example:6543/team"
    assert "p@ss" not in t.shown
    assert t.scrub("auth failed for p@ss") == "auth failed for ***"
    assert parse_url("postgres://kk@db/team").port == 5432


@pytest.mark.parametrize(
    "url", ["mysql://kk:secret@db/x", "postgresql://kk:secret@db", "postgresql://kk:secret@:x/y"]
)
def test_a_bad_url_is_one_line_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_url(url)
    assert "secret" not in str(e.value) and "\n" not in str(e.value)


def test_the_password_comes_from_the_keyring_when_the_url_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    from kithkeep.services.config.secrets import set_secret

    set_secret(Paths(tmp_path), PASSWORD_SECRET, "from-the-file")
    assert target_for("postgresql://kk@db/x", tmp_path).password == "from-the-file"
    assert target_for("postgresql://kk:in-url@db/x", tmp_path).password == "in-url"
    assert target_for("postgresql://kk@db/x").password == ""  # then libpq's PGPASSFILE


def test_the_store_url_from_the_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(Paths(tmp_path), ["me@example.com"], force=True)
    assert store_url(Paths(tmp_path)) == "" and load(tmp_path).store_url == ""
    with (tmp_path / "config.toml").open("a") as f:
        f.write('\n[store]\nurl = "postgresql://kk@db/file"\n')
    assert store_url(Paths(tmp_path)) == load(tmp_path).store_url == "postgresql://kk@db/file"
    monkeypatch.setenv("KITHKEEP_STORE__URL", "postgresql://kk@db/env")
    assert store_url(Paths(tmp_path)) == load(tmp_path).store_url == "postgresql://kk@db/env"
