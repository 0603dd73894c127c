"""kithkeep: keeps a person's professional network warm without manual logging."""

__version__ = "0.1.0"
