"""One exception tree with a single root, so a caller can catch what a user may foresee."""


class KithkeepError(Exception):
    """Root of every error kithkeep expects and reports in one line."""


class ConfigError(KithkeepError):
    """The configuration file or an option is unusable."""


class InputError(KithkeepError):
    """A path to import cannot be read at all."""


class ConnectorError(KithkeepError):
    """A source failed in a way the user should hear about."""


class CursorExpiredError(ConnectorError):
    """The provider forgot our cursor; the caller resyncs from scratch."""


class StoreError(KithkeepError):
    """The event store or the views cannot be used."""


class StoppedError(KithkeepError):
    """The user stopped an import or a sync (Ctrl-C); what was saved stays saved."""

    def __init__(self, read: int) -> None:
        super().__init__(f"interrupted after {read} messages; run the same command again to resume")
        self.read = read
