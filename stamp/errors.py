"""Error hierarchy of :mod:`stamp`: every error names its subject, the cause and a fix."""

from __future__ import annotations

__all__ = ["ConfigError", "DataError", "EncoderError", "OutputError", "RunError", "StampError"]


class StampError(Exception):
    """Base class of all errors raised on purpose by :mod:`stamp`."""


class EncoderError(StampError):
    """An encoder cannot be named, created or loaded (unknown name, gated, missing weights)."""


class ConfigError(StampError):
    """A training configuration or override is invalid."""


class DataError(StampError):
    """The atlas given to training or embedding is missing, incomplete or of another format."""


class OutputError(StampError):
    """An output folder cannot be created or written (read-only, a file in the way, no space)."""


class RunError(StampError):
    """A run directory or checkpoint is missing or inconsistent."""
