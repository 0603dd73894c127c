"""Connectors turn a source's data into domain observations, a page at a time."""
