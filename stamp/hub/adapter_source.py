"""Where an adapter comes from: a ``stamp fit`` run folder, or a run pushed to the hub (``hf:ORG/NAME[@REV]``).

Both read the same way (:mod:`stamp.run_dir` takes either layout); a hub adapter carries the commit it was
downloaded at, which every output that used it records (``adapter_source``, ``adapter_commit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stamp.hub.reference import HubSnapshot, fetch_hub_snapshot, is_hub_reference

__all__ = ["AdapterSource", "resolve_adapter"]


@dataclass(frozen=True)
class AdapterSource:
    """An adapter's local folder and, for a hub adapter, the snapshot it was downloaded as."""

    folder: Path
    snapshot: HubSnapshot | None = None

    @property
    def label(self) -> str:
        """``hf:ORG/NAME@<commit>`` for a hub adapter, else the run folder."""
        return self.snapshot.pinned if self.snapshot is not None else str(self.folder)

    @property
    def commit(self) -> str:
        """The hub commit the adapter was downloaded at ("" for a run folder)."""
        return self.snapshot.commit if self.snapshot is not None else ""

    def provenance(self) -> dict[str, str]:
        """Return what outputs record about the adapter's origin: ``adapter_source`` and ``adapter_commit``."""
        return {"adapter_source": self.label, "adapter_commit": self.commit}


def resolve_adapter(value: str | Path | AdapterSource | None, *, flag: str = "--adapter") -> AdapterSource | None:
    """Turn an ``--adapter`` value into an :class:`AdapterSource`; ``hf:`` references are downloaded (hub cache).

    Raises
    ------
    HubError
        A malformed ``hf:`` reference, or a repository that cannot be downloaded.
    """
    if value is None or isinstance(value, AdapterSource):
        return value
    if is_hub_reference(value):
        snapshot = fetch_hub_snapshot(str(value), flag=flag)
        return AdapterSource(folder=snapshot.folder, snapshot=snapshot)
    return AdapterSource(folder=Path(value))
