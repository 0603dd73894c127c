"""The array literal the PostgreSQL store looks ids up with reads back as the values."""

from __future__ import annotations

from uuid import UUID

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kithkeep.services.store.persistence import text_array

texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(texts, max_size=8), st.uuids())
def test_array_literals_read_back_as_the_values(pg_url: str, strings: list[str], uid: UUID) -> None:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT %s::text[], %s::uuid[]",
            (text_array(strings), text_array([uid.hex])),
        ).fetchone()
    assert row == (strings, [uid])
