"""Connectors turn a source's data into domain observations, a page at a time.

`base` is the one seam (`Source`, `Page`); one module per source beside it, with its
provider's quirks kept inside. May import only the domain (and provider libraries):
never the projections, the services, the CLI or the settings.
"""
