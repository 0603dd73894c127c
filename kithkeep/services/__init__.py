"""Services wire connectors, domain and projections together: store, sync, CLI, settings."""
