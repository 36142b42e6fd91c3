"""``python -m stamp.cli``: the ``stamp`` command line (what torchrun and accelerate launch start)."""

from __future__ import annotations

from stamp.cli import main

main()
