"""The user's directives (ignore, link, cadence) and rule changes apply retroactively."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from tests.conftest import Run

ME = "me@example.com"


def write_mail(folder: Path) -> None:
    folder.mkdir(parents=True)
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    crowd = ", ".join(f"p{i}@crowd.example" for i in range(20))
    rows = [
        # Ada writes from two addresses, every 10 days.
        *[("ada@work.example", ME, start + timedelta(days=10 * i)) for i in range(4)],
        *[(ME, "ada@home.example", start + timedelta(days=10 * i + 5)) for i in range(4)],
        ("bob@example.com", ME, start + timedelta(days=3)),
        ("cy@letters.example", ME, start + timedelta(days=4)),
        (ME, crowd, start + timedelta(days=6)),
    ]
    for n, (sender, to, when) in enumerate(rows):
        (folder / f"{n}.eml").write_text(
            f"From: {sender}\nTo: {to}\nSubject: s{n}\nDate: {format_datetime(when)}\n"
            f"Message-ID: <{n}@x>\n\nhello\n"
        )


def addresses(cli: Run) -> dict[str, dict[str, object]]:
    return {",".join(p["addresses"]): p for p in cli("people", "--json").json()}


def test_ignore_link_cadence_and_rules_change_the_answers(
    cli: Run, home: Path, tmp_path: Path
) -> None:
    mail = tmp_path / "mail"
    write_mail(mail)
    cli("init", "--me", ME)
    cli("import", str(mail))
    before = addresses(cli)
    assert set(before) == {"ada@work.example", "ada@home.example", "bob@example.com",
                           "cy@letters.example"}  # fmt: skip

    cli("ignore", "@letters.example")
    assert "cy@letters.example" not in addresses(cli)
    cli("ignore", "--undo", "@letters.example")
    assert "cy@letters.example" in addresses(cli)

    cli("link", "ada@work.example", "ada@home.example")
    linked = addresses(cli)["ada@home.example,ada@work.example"]
    assert linked["interactions"] == 8
    assert linked["last_inbound"] == before["ada@work.example"]["last_inbound"]
    assert linked["last_outbound"] == before["ada@home.example"]["last_outbound"]
    assert linked["cadence_source"] == "learned" and linked["cadence_days"] == 14
    cli("cadence", "ada@work.example", "3m")
    assert addresses(cli)["ada@home.example,ada@work.example"]["cadence_days"] == 90
    cli("unlink", "ada@home.example", "ada@work.example")
    assert {"ada@work.example", "ada@home.example"} <= set(addresses(cli))
    assert addresses(cli)["ada@work.example"]["cadence_source"] == "set"

    # A wider audience limit makes the 20-person message count; the views follow the rules.
    (home / "config.toml").write_text(f'me = ["{ME}"]\nmax_audience = 25\n')
    assert "p7@crowd.example" in addresses(cli)
    (home / "config.toml").write_text(f'me = ["{ME}"]\n')
    assert "p7@crowd.example" not in addresses(cli)
    cli("rebuild")
    assert set(addresses(cli)) == set(before)


def test_directive_errors_are_one_line(cli: Run) -> None:
    cli("init", "--me", ME)
    for args in (
        ("cadence", "x@y.com", "often"),
        ("link", "a@b.com", "a@b.com"),
        ("ignore", "nobody"),
    ):
        result = cli(*args, check=False)
        assert result.code == 1 and result.err.startswith("error: ") and result.err.count("\n") == 1
