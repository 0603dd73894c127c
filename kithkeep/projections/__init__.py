"""Projections read events and write views; they never call a provider."""
