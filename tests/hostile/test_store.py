"""A damaged store does not get worse: garbage pages or truncation of either database,
then `import`, `people`, `rebuild`, `status` — one line each, the events untouched,
damaged views built again to equal a clean import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, stable
from tests.hostile.conftest import measure, message

pytestmark = pytest.mark.slow

FROM = b"From x Tue May  1 10:00:00 2001\n"
COMMANDS = (("import", "MORE"), ("people",), ("rebuild",), ("status",))


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """A home with 600 interactions imported, its `people --json`, and more mail."""
    root = tmp_path_factory.mktemp("store")
    home = root / "clean"
    run_cli(home, "init", "--me", "me@example.com")
    mbox = root / "a.mbox"
    mbox.write_bytes(
        b"".join(FROM + message(i, f"p{i % 40}@example.org") + b"\n" for i in range(600))
    )
    (root / "more.mbox").write_bytes(b"".join(FROM + message(i) + b"\n" for i in range(900, 910)))
    run_cli(home, "import", str(mbox))
    return home, root / "more.mbox", stable(run_cli(home, "people", "--json").json())


def _copy(clean: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(clean, home)
    return home


def _garbage_pages(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(2, len(data) // page, 3):  # every third page after the schema's
        data[n * page : n * page + 64] = b"\xde\xad\xbe\xef" * 16
    db.write_bytes(bytes(data))


def _cut(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2 + 100])


def _zero(db: Path) -> None:
    db.write_bytes(b"")


@pytest.mark.parametrize("harm", [_garbage_pages, _cut, _zero])
def test_a_damaged_event_store_is_refused_in_one_line_and_left_as_it_is(
    clean: tuple[Path, Path, object], tmp_path: Path, harm: object
) -> None:
    source, more, _ = clean
    home = _copy(source, tmp_path)
    (home / "events.sqlite-wal").unlink(missing_ok=True)
    assert callable(harm)
    harm(home / "events.sqlite")
    before = (home / "events.sqlite").read_bytes()
    views = (home / "views.sqlite").read_bytes()
    for command in COMMANDS:
        args = [str(more) if a == "MORE" else a for a in command]
        run = measure(home, *args)
        run.within_bounds()
        line = run.one_line_error()
        assert run.code == 1, (command, run.err)
        assert "events.sqlite" in line, line
        assert (home / "events.sqlite").read_bytes() == before, command
    assert (home / "views.sqlite").read_bytes() == views  # the only copy left is kept


@pytest.mark.parametrize("harm", [_garbage_pages, _cut])
def test_damaged_views_are_built_again_to_equal_a_clean_import(
    clean: tuple[Path, Path, object], tmp_path: Path, harm: object
) -> None:
    source, _, people = clean
    home = _copy(source, tmp_path)
    events = (home / "events.sqlite").read_bytes()
    assert callable(harm)
    harm(home / "views.sqlite")
    status = measure(home, "status")
    assert status.code == 0 and "views:" in status.out and "Traceback" not in status.err
    run = measure(home, "people", "--json")
    run.within_bounds()
    assert run.code == 0 and "Traceback" not in run.err
    assert run.err.count("\n") == 1 and "built again from the events" in run.err
    assert stable(__import__("json").loads(run.out)) == people
    assert (home / "events.sqlite").read_bytes() == events


def test_views_tracked_past_the_events_are_built_again(
    clean: tuple[Path, Path, object], tmp_path: Path
) -> None:
    source, more, _ = clean
    home = _copy(source, tmp_path)
    fresh = tmp_path / "fresh"
    run_cli(fresh, "init", "--me", "me@example.com")
    run_cli(fresh, "import", str(more))
    # The events of a smaller home under the views of a bigger one (an old backup restored).
    for name in ("events.sqlite", "events.sqlite-wal", "events.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
        if (fresh / name).exists():
            shutil.copy(fresh / name, home / name)
    run = measure(home, "people", "--json")
    assert run.code == 0 and "tracked past the events" in run.err
    assert stable(__import__("json").loads(run.out)) == stable(
        run_cli(fresh, "people", "--json").json()
    )
    status = run_cli(home, "status", "--json").json()
    assert status["views_lag"] == 0
