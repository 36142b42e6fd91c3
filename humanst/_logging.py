"""The package logger (one for all of :mod:`humanst`; library code never prints)."""

from __future__ import annotations

import logging

logger = logging.getLogger("humanst")
logger.addHandler(logging.NullHandler())
