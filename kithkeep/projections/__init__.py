"""Projections read events and write views; the read side answers from those views.

`projector` pages the log into a view (`people` on SQLite, `pgview` on PostgreSQL);
`queries` and `referrals` answer through `reading.ReadConnection`. They never call a
provider. May import only the domain (and the event library, SQLite, psycopg).
"""
