"""The domain: interactions, people and the pure rules that reason about them.

Nothing in here does I/O or imports another layer of kithkeep.
"""
