"""House rules that can be checked mechanically (STYLE section 3, rules 1, 8, 9, 11)."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from humanst.errors import RegistryError

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
        "humanst.builder",
        "humanst.store",
        "humanst.synth",
        "humanst.synth.formats",
        "humanst.slides",
        "humanst.hub",
        "stamp",
        "stamp.encoders",
        "stamp.model",
        "stamp.data",
        "stamp.train",
        "stamp.slides",
        "stamp.probe",
        "stamp.hub",
        "stamp.targets",
        "benchmarks",
        "benchmarks.report",
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
    with pytest.raises(RegistryError, match="known: hest, legacy_st"):
        get_format("merscope")


def test_every_platform_has_a_reader():
    from humanst.manifest import Platform
    from humanst.readers import get_reader, reader_names

    assert reader_names() == sorted(p.value for p in Platform)
    with pytest.raises(RegistryError, match="known: hest, legacy_st"):
        get_reader("merscope")


# --- one owner for the atlas's names (humanst.store.atlas), no import cycles, one registry --------------------

ATLAS_OWNER = ROOT / "humanst" / "store" / "atlas.py"
ATLAS_FOLDERS = {"hf", "records", "samples", "parts", "tables"}  # spelled after a '/' they build an atlas path
ATLAS_FILES = {"humanst.json", "pathways.json", "genes.txt", "build_report.json", "build_report.md", ".build.lock"}
ATLAS_COLUMN_PREFIXES = ("pathways_", "pathway_mask_")
# Other layouts that happen to reuse a word: the download cache keeps huggingface_hub's files under CACHE/hf.
NOT_ATLAS_PATHS = {ROOT / "humanst" / "fetch" / "cache.py"}


def _atlas_spellings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            right = node.right
            if isinstance(right, ast.Constant) and right.value in ATLAS_FOLDERS | ATLAS_FILES:
                found.append(f"{node.lineno}: / {right.value!r}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ATLAS_FILES:
            found.append(f"{node.lineno}: {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            if isinstance(head, ast.Constant) and str(head.value).startswith(ATLAS_COLUMN_PREFIXES):
                found.append(f"{node.lineno}: f-string {head.value!r}...")
            elif text.endswith((".zarr", ".genes.txt")):
                found.append(f"{node.lineno}: f-string ending {text[-10:]!r}")
    return found


def test_no_module_but_the_atlas_spells_the_atlas_layout():
    owners = {ATLAS_OWNER, ROOT / "humanst" / "pathways" / "results.py"}  # results.py owns the obsm key name
    bad = []
    for package in PACKAGES:
        for path in _modules(package):
            if path in owners or path in NOT_ATLAS_PATHS:
                continue
            bad += [f"{path.relative_to(ROOT)}:{hit}" for hit in _atlas_spellings(path)]
    assert not bad, "atlas paths and names belong to humanst.store.atlas (use Atlas):\n" + "\n".join(bad)


def test_the_atlas_spelling_check_can_fail(tmp_path: Path):
    sample = tmp_path / "reader.py"
    sample.write_text('p = atlas / "hf" / "humanst.json"\nk = f"pathways_{c}"\ns = f"{sample}.zarr"\n')
    assert {hit.split(":")[0] for hit in _atlas_spellings(sample)} == {"1", "2", "3"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> modules it imports anywhere (module level, inside functions, type-checking blocks), as farm-studio.

    A registry that imports its entries inside a function while they import it is a cycle here too.
    """
    modules = {_module_name(p): p for package in PACKAGES for p in _modules(package)}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    cycles = _cycles(_import_graph())
    assert not cycles, "modules that import each other at import time:\n" + "\n".join(map(str, cycles))


def test_the_cycle_check_can_fail():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_registry_is_the_one_registry():
    bad = []
    for package in PACKAGES:
        for path in _modules(package):
            text = path.read_text()
            if path.name == "_registry.py" and "Registry(" not in text:
                bad.append(f"{path.relative_to(ROOT)}: a registry module that does not use humanst.registry.Registry")
            for node in ast.parse(text).body:
                value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
                targets = getattr(node, "targets", [getattr(node, "target", None)])
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if isinstance(value, ast.Dict) and any("REGISTRY" in n.upper() for n in names):
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: a hand-made registry dict {names}")
    assert not bad, "\n".join(bad)


# --- types on the seams (pyproject [tool.mypy]: strict for the modules that carry data between floors) ----------

SEAMS = {  # the contracts issue 11 named, and where they live
    "SampleData": "humanst.store.sample_zarr",
    "write_part": "humanst.store.patch_parts",
    "RawSample": "humanst.readers.raw",
    "finish_run": "stamp.train.summary",
    "read_run_config": "stamp.run_dir",
}


def _strict_modules() -> set[str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    strict = set()
    for override in config.get("overrides", []):
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        if override.get("disallow_any_generics") and override.get("warn_return_any"):
            strict |= set(modules)
    return strict


def test_the_seams_are_type_checked_strictly_and_pass():
    for name, module in SEAMS.items():
        assert hasattr(importlib.import_module(module), name), f"{name} moved out of {module}: update SEAMS"
    assert set(SEAMS.values()) <= _strict_modules()
    modules = [arg for module in sorted(set(SEAMS.values())) for arg in ("-m", module)]
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", *modules],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


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


# --- one owner per default and per file name ----------------------------------------------------------------------

DEFAULTS_OWNER = ROOT / "humanst" / "builder" / "settings.py"
BUILD_DEFAULTS: dict[str, float] = {  # a keyword, argument or field of these names set to this literal is a copy
    "min_counts": 100,
    "pseudo_spot_um": 55,
    "min_coverage": 0.5,
    "size_px": 224,
    "tile_px": 224,
    "um_per_px": 0.5,
    "tile_mpp": 0.5,
}
# The same number meaning another fact: the synthetic cohort's scanner resolution is not the atlas patch's.
NOT_BUILD_DEFAULTS = {("humanst/synth/cohort.py", "um_per_px")}


def _literal(node: ast.expr) -> object:
    if isinstance(node, ast.Call):  # Field(default=...)
        node = next((k.value for k in node.keywords if k.arg == "default"), node)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    return None


def _named_values(tree: ast.AST) -> list[tuple[str, ast.expr, int]]:
    """Every (name, value, line) a source binds: argument defaults, call keywords, (annotated) assignments."""
    pairs: list[tuple[str, ast.expr, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs += [
                (a.arg, d, a.lineno)
                for a, d in zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
            ]
            pairs += [
                (a.arg, d, a.lineno) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
            ]
        elif isinstance(node, ast.keyword) and node.arg:
            pairs.append((node.arg, node.value, node.value.lineno))
        elif isinstance(node, ast.AnnAssign | ast.Assign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
                if name:
                    pairs.append((name, node.value, node.lineno))
    return pairs


def _default_spellings(source: str) -> list[str]:
    return [
        f"{line}: {name}={_literal(value)!r}"
        for name, value, line in _named_values(ast.parse(source))
        if name in BUILD_DEFAULTS and _literal(value) == BUILD_DEFAULTS[name]
    ]


def test_build_defaults_are_spelled_only_by_their_owner():
    bad = []
    for package in PACKAGES:
        for path in _modules(package):
            if path == DEFAULTS_OWNER:
                continue
            relative = path.relative_to(ROOT).as_posix()
            for hit in _default_spellings(path.read_text()):
                if (relative, hit.split(": ")[1].split("=")[0]) not in NOT_BUILD_DEFAULTS:
                    bad.append(f"{relative}:{hit}")
    assert not bad, "build defaults belong to humanst.builder.settings (read DEFAULTS / PatchSpec):\n" + "\n".join(bad)
    assert _default_spellings(DEFAULTS_OWNER.read_text()), "the owner spells the defaults (or the check is blind)"


def test_the_defaults_check_can_fail():
    source = (
        "def build(min_counts: int = 100, *, pseudo_spot_um=55.0): ...\n"
        "class S:\n    min_coverage: float = Field(default=0.5)\n"
        "run(tile_px=224)\n"
        "um_per_px = 0.5\n"
        "min_counts = 200\n"  # another value: not the default
    )
    assert sorted(h.split(":")[0] for h in _default_spellings(source)) == ["1", "1", "3", "4", "5"]


FILE_NAME_OWNERS = {  # a file name passed between commands, and the one module that spells it
    "run.json": "stamp/run_info.py",
    "metrics.csv": "stamp/run_dir.py",
    "card.md": "stamp/run_dir.py",
    "cache.json": "stamp/embedding_cache.py",
    "h5_files": "stamp/slides/features.py",
    "slides_report.json": "stamp/slides/features.py",
    "seeds.json": "stamp/train/replicates.py",
    "cohort.json": "benchmarks/cohorts/record.py",
}


def _file_name_spellings(source: str) -> list[tuple[str, int]]:
    return [
        (node.value, node.lineno)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in FILE_NAME_OWNERS
    ]


def test_file_names_are_spelled_only_by_their_owner():
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {name!r} (owner: {FILE_NAME_OWNERS[name]})"
        for package in PACKAGES
        for path in _modules(package)
        for name, line in _file_name_spellings(path.read_text())
        if path.relative_to(ROOT).as_posix() != FILE_NAME_OWNERS[name]
    ]
    assert not bad, "import the owner's constant instead:\n" + "\n".join(bad)


def test_the_file_name_check_can_fail():
    assert _file_name_spellings('p = run / "run.json"\nq = "the run.json of a run"\nh = root / "h5_files"\n') == [
        ("run.json", 1),
        ("h5_files", 3),
    ]


# --- types: Any only where a value is any value, few type: ignore ---------------------------------------------------

# Annotations naming Any: 242 before issue 22; its target is fewer than 60. A ratchet: lower it as values get their
# real types (external JSON, optimiser state and lazy attributes stay Any: they are any value).
MAX_ANY = 98
MAX_TYPE_IGNORES = 20  # (issue 22: 48 before)
ANY_ANNOTATION = re.compile(r":\s*Any\b|-> Any\b|\[Any\b|\bAny\]")  # Any itself, not AnyTask


def _type_counts(sources: list[str]) -> tuple[int, int]:
    """(lines annotating with ``Any``, ``type: ignore`` comments) over the given sources."""
    lines = [line for source in sources for line in source.splitlines()]
    return sum(bool(ANY_ANNOTATION.search(line)) for line in lines), sum("type: ignore" in line for line in lines)


def test_any_and_type_ignore_stay_within_their_budgets():
    n_any, n_ignore = _type_counts([p.read_text() for package in PACKAGES for p in _modules(package)])
    assert n_any < MAX_ANY, f"{n_any} annotations name Any (budget: fewer than {MAX_ANY}); type the values"
    assert n_ignore <= MAX_TYPE_IGNORES, f"{n_ignore} type: ignore comments (budget: {MAX_TYPE_IGNORES})"


def test_the_type_budget_counter_can_fail():
    source = "def f(x: Any) -> Any:\n    y: dict[str, Any] = {}  # type: ignore[misc]\n    return list[Any]\n"
    assert _type_counts([source]) == (3, 1)
