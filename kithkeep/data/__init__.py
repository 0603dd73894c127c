"""Data shipped with the package: the fictional roster behind `kithkeep demo`."""
