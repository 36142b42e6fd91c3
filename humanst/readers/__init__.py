"""Platform readers: one per platform, each returning a :class:`RawSample` (``get_reader(platform).func``)."""

from __future__ import annotations

from humanst.readers import hest, legacy_st, visium, visium_hd, xenium  # noqa: F401  (register the readers)
from humanst.readers._registry import READERS, ReaderSpec, get_reader, reader_names, register_reader
from humanst.readers.raw import ImageRef, RawSample, ReadSettings

__all__ = [
    "READERS",
    "ImageRef",
    "RawSample",
    "ReadSettings",
    "ReaderSpec",
    "get_reader",
    "reader_names",
    "register_reader",
]
