"""The package logger (one for all of :mod:`stamp`; library code never prints)."""

from __future__ import annotations

import logging

logger = logging.getLogger("stamp")
logger.addHandler(logging.NullHandler())
