"""House rules that can be checked mechanically (STYLE section 3, rules 1, 8, 9, 11)."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("humanst", "stamp", "benchmarks")
FLOOR = {"humanst": 0, "stamp": 1, "benchmarks": 2}
MAX_LINES = 400


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_roots(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.append((node.module.split(".")[0], node.lineno))
    return roots


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package):
    bad = []
    for path in _modules(package):
        for root, line in _imported_roots(path):
            if root in FLOOR and FLOOR[root] > FLOOR[package]:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {root}")
    assert not bad, "imports must flow benchmarks -> stamp -> humanst:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_stay_small(package):
    big = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in _modules(package)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]
    assert not big, f"modules over {MAX_LINES} lines: {big}"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_grab_bag_modules_and_no_print_in_library_code(package):
    for path in _modules(package):
        assert path.stem not in {"utils", "helpers", "misc", "common"}, path
        if path.name == "cli.py" or "perf" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        prints = [
            n.lineno for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"
        ]
        assert not prints, f"{path.relative_to(ROOT)} calls print() at lines {prints}; use the package logger"


def test_humanst_keeps_torch_out_at_module_level():
    for path in _modules("humanst"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] in {"torch", "dask", "timm"} for n in names), (path, node.lineno)


def test_import_humanst_is_light():
    code = (
        "import sys, humanst, humanst.manifest, humanst.synth, humanst.cli\n"
        "heavy = sorted(m for m in ('torch', 'timm', 'spatialdata', 'spatialdata_io', 'dask') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "", f"importing humanst pulled in {done.stdout.strip()}"


@pytest.mark.parametrize(
    "module",
    [
        "humanst",
        "humanst.manifest",
        "humanst.pathways",
        "humanst.fetch",
        "humanst.readers",
        "humanst.build",
        "humanst.store",
        "humanst.synth",
        "humanst.synth.formats",
        "stamp",
        "stamp.encoders",
        "stamp.model",
        "stamp.data",
        "stamp.train",
        "stamp.probe",
        "benchmarks",
    ],
)
def test_public_names_resolve(module):
    mod = importlib.import_module(module)
    assert mod.__all__, module
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{module}.{name}"


def test_every_platform_has_a_synthetic_writer():
    from humanst.manifest import Platform
    from humanst.synth import format_names, get_format

    assert format_names() == sorted(p.value for p in Platform)
    with pytest.raises(KeyError, match="registered: hest, legacy_st"):
        get_format("merscope")


def test_every_platform_has_a_reader():
    from humanst.manifest import Platform
    from humanst.readers import get_reader, reader_names

    assert reader_names() == sorted(p.value for p in Platform)
    with pytest.raises(KeyError, match="registered: hest, legacy_st"):
        get_reader("merscope")


def test_the_checkpoint_folder_is_named_in_one_module():
    owner = ROOT / "stamp" / "train" / "checkpoint.py"
    spelled = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in PACKAGES
        for path in _modules(package)
        if path != owner
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and node.value in ("checkpoints", "checkpoints/")
    ]
    assert not spelled, f"only stamp/train/checkpoint.py names the checkpoint folder: {spelled}"
