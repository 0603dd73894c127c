"""A careless user's mistakes are refused or reversible, and no setting is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run, count_events, run_cli
from tests.hostile.conftest import message

pytestmark = pytest.mark.slow

ACCOUNTS = (
    '\n[[accounts]]\nname = "drop"\ntype = "folder"\npath = "drop"\n'
    '\n[[accounts]]\nname = "work"\ntype = "imap"\nhost = "imap.example.org"\n'
    'user = "me"\naddress = "me@work.example"\n'
)


def _one_line(result: object) -> str:
    err = getattr(result, "err", "")
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_init_never_overwrites_and_force_keeps_accounts_and_a_backup(cli: Run, home: Path) -> None:
    cli("init", "--me", "me@example.com")
    config = home / "config.toml"
    with config.open("a") as f:
        f.write(ACCOUNTS)
    before = config.read_text()
    again = cli("init", "--me", "other@example.com", check=False)
    assert again.code == 1 and "me add" in _one_line(again)
    assert config.read_text() == before
    forced = cli("init", "--force", "--me", "me@example.com", "--me", "alias@example.com")
    assert "kept as" in forced.out
    backups = list(home.glob("config.toml.*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == before
    accounts = [a["name"] for a in cli("account", "list", "--json").json()]
    assert accounts == ["drop", "work"]
    assert "alias@example.com" in config.read_text()


def test_init_checks_before_writing(cli: Run, home: Path) -> None:
    bad = cli("init", "--me", "notanemail", check=False)
    assert bad.code == 1 and "not an email address" in _one_line(bad)
    assert not (home / "config.toml").exists()


def test_a_typo_in_the_config_names_the_nearest_key(cli: Run, home: Path) -> None:
    cli("init", "--me", "me@example.com")
    with (home / "config.toml").open("a") as f:
        f.write("max_audiance = 3\n")
    for command in (("people",), ("import", str(home))):
        typo = cli(*command, check=False)
        assert typo.code == 1
        assert "max_audiance: unknown setting; did you mean 'max_audience'" in _one_line(typo)


@pytest.fixture
def imported(cli: Run, tmp_path: Path) -> Run:
    cli("init", "--me", "me@example.com")
    mbox = tmp_path / "a.mbox"
    mbox.write_bytes(
        b"".join(
            b"From x Tue May  1 10:00:00 2001\n" + message(i, f"p{i % 3}@enron.com") + b"\n"
            for i in range(9)
        )
    )
    cli("import", str(mbox))
    return cli


def test_directives_refuse_what_can_only_be_a_slip(imported: Run, home: Path) -> None:
    cli = imported
    events = count_events(home)
    for args, words in [
        (("ignore", "*@enron.com"), "no wildcards; give an address, or @enron.com"),
        (("ignore", "@"), "expected a whole domain"),
        (("ignore", "@enron.com"), "would ignore everyone"),
        (("ignore", "--undo", "p1@enron.com"), "nothing to undo"),
        (("unlink", "p0@enron.com", "p1@enron.com"), "nothing to undo"),
        (("cadence", "p0@enron.com", "auto"), "nothing to undo"),
        (("refer", "me@example.com", "p1@enron.com"), "is you"),
    ]:
        refused = cli(*args, check=False)
        assert refused.code == 1, (args, refused.out)
        assert words in _one_line(refused), args
    assert count_events(home) == events  # nothing recorded


def test_directives_about_unseen_addresses_warn(imported: Run) -> None:
    cadence = imported("cadence", "nobody@example.org", "30d")
    assert cadence.code == 0 and "warning: nobody@example.org is in no interaction yet" in (
        _one_line(cadence)
    )
    ignored = imported("ignore", "@nowhere.example")
    assert "warning:" in _one_line(ignored)
    assert imported("unlink", "p0@enron.com", "p1@enron.com", check=False).code == 1
    imported("link", "p0@enron.com", "p1@enron.com")
    assert imported("unlink", "p0@enron.com", "p1@enron.com").code == 0


def test_who_knows_escapes_like_wildcards(tmp_path: Path) -> None:
    home = tmp_path / "team"
    run_cli(home, "init", "--me", "me@example.com")
    with (home / "config.toml").open("a") as f:
        f.write('\n[team]\nmembers = { me = ["me@example.com"] }\n')
    mbox = tmp_path / "t.mbox"
    mbox.write_bytes(
        b"".join(
            b"From x Tue May  1 10:00:00 2001\n" + message(i, f"p{i}@corp.example") + b"\n"
            for i in range(3)
        )
    )
    run_cli(home, "import", str(mbox))
    assert run_cli(home, "who-knows", "@corp.example", "--json").json()
    for pattern in ("@%", "@%.%", "@_orp.example", "@%corp.example"):
        found = run_cli(home, "who-knows", pattern, "--json", check=False)
        assert found.code in (0, 1) and "Traceback" not in found.err
        assert found.code == 1 or found.json() == [], pattern
