"""Warehouse errors: each says what failed, where, and what to do."""

from gladiator.errors import GladiatorError


class WarehouseUnavailable(GladiatorError):
    """The warehouse could not be reached; nothing was loaded and the load ledger is unchanged."""


class WarehouseLoadError(GladiatorError):
    """A load failed and was rolled back: every target table still holds its previous version."""
