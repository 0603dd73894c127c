"""The event store: `events` (the `eventsourcing` application on SQLite and the single
write path, `Store.save_page`), `postgres` (the same store on PostgreSQL), `persistence`
(the library's format and tables, faster parts), `logreader` (the notification log, page
by page, for the projector) and `copy` (`kithkeep store copy`).

May import `services.config`, the projections' read seams and the domain; never the
accounts, the runtime, the use cases, the daemon or the CLI.
"""
