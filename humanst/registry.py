"""One registry for every pluggable kind (readers, pathway methods, synth formats, encoders, baselines, tiers).

The shape is timm's: a module files its entry with a decorator, the package's ``__init__`` imports the entry
modules, and lookups go through :meth:`Registry.get`, which raises the caller's own error class with the
list of known names. A registry never imports its entries, so no entry module is in an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

__all__ = ["Registry"]

KeyT = TypeVar("KeyT", bound=Hashable)
SpecT = TypeVar("SpecT")


class Registry(Generic[KeyT, SpecT]):
    """Name -> frozen spec. A duplicate name and an unknown name raise ``error`` with a message that helps.

    Parameters
    ----------
    kind
        What the entries are, in words ("platform reader", "encoder"); used in messages.
    error
        Exception class raised for duplicates and unknown names (the package's own, never a bare ``KeyError``).
    hint
        Text appended to the unknown-name message (e.g. "or use timm:<arch>").
    """

    def __init__(self, kind: str, *, error: Callable[[str], Exception], hint: str = "") -> None:
        self.kind = kind
        self._error = error
        self._hint = hint
        self._entries: dict[KeyT, SpecT] = {}

    def add(self, key: KeyT, spec: SpecT) -> SpecT:
        """File ``spec`` under ``key``; a key filed twice raises."""
        if key in self._entries:
            msg = f"{self.kind} {key!r} is already registered; give the new entry another name"
            raise self._error(msg)
        self._entries[key] = spec
        return spec

    def get(self, key: KeyT) -> SpecT:
        """Return the spec filed under ``key``; an unknown key raises, listing the known ones."""
        try:
            return self._entries[key]
        except KeyError:
            known = ", ".join(str(k) for k in self.names()) or "none"
            msg = f"unknown {self.kind} {key!r}; known: {known}" + (f"; {self._hint}" if self._hint else "")
            raise self._error(msg) from None

    def names(self) -> list[KeyT]:
        """Return the registered keys, sorted."""
        return sorted(self._entries)  # type: ignore[type-var]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[KeyT]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)
