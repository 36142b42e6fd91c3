"""Error hierarchy of :mod:`humanst`: every error names its subject, the cause and a fix."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AtlasError",
    "FetchError",
    "FileFormatError",
    "FormatError",
    "GeneSetError",
    "HubError",
    "HumanstError",
    "ManifestError",
    "ReaderError",
    "RegistryError",
    "SampleError",
    "SlideError",
    "UnknownSampleError",
]


class HumanstError(Exception):
    """Base class of all errors raised on purpose by :mod:`humanst`."""


class FileFormatError(HumanstError):
    """A file passed between commands has a format version this code cannot read, or does not fit its model."""


class ManifestError(HumanstError):
    """A manifest is malformed; ``problems`` lists every ``(location, message)`` found."""

    def __init__(self, path: str | Path | None, problems: list[tuple[str, str]]) -> None:
        self.path = None if path is None else Path(path)
        self.problems = list(problems)
        where = f"manifest '{self.path}'" if self.path is not None else "manifest"
        lines = [f"{where}: {len(self.problems)} problem(s)"]
        lines += [f"  - {loc}: {msg}" for loc, msg in self.problems]
        lines.append("Fix the entries above and run `humanst validate-manifest FILE` again.")
        super().__init__("\n".join(lines))


class SampleError(HumanstError):
    """Something is wrong with one sample; carries ``sample_id`` and the offending ``path``."""

    def __init__(self, message: str, *, sample_id: str | None = None, path: str | Path | None = None) -> None:
        self.sample_id = sample_id
        self.path = None if path is None else Path(path)
        prefix = []
        if sample_id is not None:
            prefix.append(f"sample '{sample_id}'")
        if self.path is not None:
            prefix.append(f"file '{self.path}'")
        text = f"{' '.join(prefix)}: {message}" if prefix else message
        super().__init__(text)


class FetchError(SampleError):
    """A sample file could not be downloaded or failed its checksum."""


class ReaderError(SampleError):
    """A platform reader could not read a sample's raw files."""


class FormatError(SampleError):
    """A synthetic raw layout could not be written."""


class SlideError(SampleError):
    """A whole-slide image cannot be opened, has no usable pixel size, or fails while its tiles are read."""


class GeneSetError(HumanstError):
    """A gene-set (GMT) file is malformed or a collection name is unknown."""


class AtlasError(HumanstError):
    """An atlas folder is missing, incomplete, or of another format version."""


class HubError(HumanstError):
    """A push to or a download from the Hugging Face Hub failed or was refused (token, access, licence, content)."""


class RegistryError(HumanstError):
    """An unknown or duplicate name in one of humanst's registries (platform, method, format)."""


class UnknownSampleError(HumanstError):
    """A sample id that the manifest or atlas does not hold; the message lists the valid ids."""
