from __future__ import annotations

import subprocess
import sys

import humanst.fetch


def test_public_names_resolve():
    assert humanst.fetch.__all__
    for name in humanst.fetch.__all__:
        assert getattr(humanst.fetch, name) is not None, name


def test_import_is_light():
    code = (
        "import sys, humanst.fetch\n"
        "print(','.join(m for m in ('torch', 'huggingface_hub', 'requests', 'httpx') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""
