"""Use cases: one module per user intent group, each called by one CLI command group.

`ingest` (import, sync) over `pull` (the page-and-cursor loop), `views` (open, rebuild,
migrate), `status`, `directives` (cadence, ignore, link), `introductions` (refer,
dismiss, close, reopen), `accounts`, `digest`, `team` (who-knows), `demo` over
`demo_network` (the sample). May import the runtime, the accounts, the store and the
config; never the daemon or the CLI.
"""
