"""The long-running parts: `scheduler` (every account synced on its schedule, a daily
digest), `live` (`kithkeep project`: views of a PostgreSQL store kept live) and `logs`.
May import the use cases and everything below them; never the CLI.
"""
