"""Settings: the example config is valid and documents every setting; bad ones are one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kithkeep.domain.errors import ConfigError
from kithkeep.services.config.schema import (
    AccountModel,
    DaemonModel,
    DigestModel,
    GoogleModel,
    LimitsModel,
    OutlookModel,
    SettingsModel,
    StoreModel,
    TeamModel,
)
from kithkeep.services.config.settings import load
from tests.conftest import REPO

EXAMPLE = REPO / "config" / "kithkeep.toml"


def test_the_example_config_loads_and_names_every_setting(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "config.toml")
    settings = load(tmp_path)
    assert settings.me == ("me@example.com",)
    text = EXAMPLE.read_text()
    for name in [
        *SettingsModel.model_fields,
        *DaemonModel.model_fields,
        *AccountModel.model_fields,
        *DigestModel.model_fields,
        *GoogleModel.model_fields,
        *OutlookModel.model_fields,
        *StoreModel.model_fields,
        *TeamModel.model_fields,
        *LimitsModel.model_fields,
    ]:
        assert name in text, f"config/kithkeep.toml does not document {name}"


def test_accounts_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text(
        'me = ["a@x.com"]\n[[accounts]]\nname = "drop"\ntype = "folder"\npath = "in"\n'
        "interval_minutes = 2\n"
    )
    monkeypatch.setenv("KITHKEEP_DEFAULT_CADENCE_DAYS", "30")
    monkeypatch.setenv("KITHKEEP_ME", "b@x.com,c@x.com")
    settings = load(tmp_path)
    assert settings.default_cadence_days == 30
    assert settings.me == ("b@x.com", "c@x.com")
    (account,) = settings.accounts
    assert (account.name, account.path, account.interval_seconds) == ("drop", tmp_path / "in", 120)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('me = ["x"]', "not an email address"),
        ("default_cadence_days = 0", "default_cadence_days"),
        ('[[accounts]]\nname = "a"\ntype = "smoke-signals"\npath = "x"', "accounts"),
        ('[[accounts]]\nname = "a"\ntype = "imap"', "needs host and user"),
        ('[daemon]\ndigest_time = "25:00"', "digest_time"),
        (
            '[[accounts]]\nname="a"\ntype="folder"\npath="x"\n[[accounts]]\nname="a"\ntype="folder"\npath="y"',
            "unique",
        ),
        ("me = [", "config.toml"),
    ],
)
def test_bad_settings_are_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "config.toml").write_text(text + "\n")
    with pytest.raises(ConfigError, match=message) as e:
        load(tmp_path)
    assert "\n" not in str(e.value)


def test_the_quick_reader_knows_every_top_level_key() -> None:
    from kithkeep.services.config.settings import TOP_LEVEL_KEYS

    assert set(SettingsModel.model_fields) == TOP_LEVEL_KEYS


def test_the_limits_model_defaults_are_the_connectors(tmp_path: Path) -> None:
    from kithkeep.connectors.limits import DEFAULT

    (tmp_path / "config.toml").write_text('me = ["a@x.com"]\n[limits]\nrecipients = 50\n')
    assert load(tmp_path).limits.recipients == 50
    assert LimitsModel().model_dump() == {f: getattr(DEFAULT, f) for f in LimitsModel.model_fields}


def test_a_typo_in_the_config_is_an_error_naming_the_nearest_key(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('me = ["a@x.com"]\nmax_audiance = 3\n')
    with pytest.raises(
        ConfigError, match="max_audiance: unknown setting; did you mean 'max_audience'"
    ):
        load(tmp_path)
    (tmp_path / "config.toml").write_text(
        'me = ["a@x.com"]\n[[accounts]]\nname = "a"\ntype = "folder"\npath = "x"\n'
        "intervall_minutes = 3\n"
    )
    with pytest.raises(ConfigError, match="did you mean 'interval_minutes'"):
        load(tmp_path)
