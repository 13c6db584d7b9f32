"""Errors of the data generator: bad arguments and a failing TPC-H generator."""

from gladiator.errors import ConfigurationError, GladiatorError


class InvalidGenerateOptions(ConfigurationError):
    """An argument of `gladiator generate` / `generate()` is out of range or unusable."""


class TpchGenerationFailed(GladiatorError):
    """tpchgen-cli is missing or exited with an error."""
