"""Fixtures of the stamp tests: the short vit-tiny-test fit (``tiny_run``) lives in ``tests/conftest.py``.

``tiny_config`` is re-exported here for the tests that build their own short fits.
"""

from __future__ import annotations

from tests.conftest import tiny_config

__all__ = ["tiny_config"]
