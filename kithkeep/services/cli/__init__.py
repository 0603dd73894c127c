"""The command line (Typer + Rich): the only place that imports either.

`app` registers the command groups; each command parses its options, calls one use
case and renders the answer. May import every other room of `services`.
"""
