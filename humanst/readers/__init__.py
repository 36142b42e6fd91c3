"""Platform readers: one per platform, each returning a :class:`RawSample` (``get_reader(platform).func``)."""

from __future__ import annotations

from humanst.readers._registry import ReaderSpec, get_reader, reader_names, register_reader
from humanst.readers.raw import ImageRef, RawSample, ReadSettings

__all__ = ["ImageRef", "RawSample", "ReadSettings", "ReaderSpec", "get_reader", "reader_names", "register_reader"]
