"""Services: everything that wires the domain, the connectors and the projections together.

Rooms with one job each, arrows pointing inward (import-linter keeps them so):
``cli -> daemon -> usecases -> runtime -> accounts | store -> config``.

- ``config/``    settings (file + environment), the settings schema, edits of the config
                 file, secrets, the daemon's pid and state files;
- ``store/``     the event store on SQLite and PostgreSQL, its persistence, the log
                 reader, ``store copy``;
- ``accounts/``  one module per provider kind behind one typed ``Provider``;
- ``runtime``    the store, the views and the projector opened together;
- ``usecases/``  one module per user intent group;
- ``daemon/``    the scheduler, live views (``project``), its log;
- ``cli/``       the Typer app, split by command group.
"""
