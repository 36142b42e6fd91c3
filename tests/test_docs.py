"""The documentation matches the tree and the code, without building the site (`make docs` builds it, strictly).

Every page is in the nav, the README's links resolve, every command line in the docs names a real command with
real flags, and the API reference covers every public name of the three packages.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import typer
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
README_MAX_LINES = 200
PROGRAMS = {"humanst": "humanst.cli", "stamp": "stamp.cli", "stamp.cli": "stamp.cli", "stamp-bench": "benchmarks.cli"}
FLOORS = ("humanst", "stamp", "benchmarks")


def doc_pages() -> list[Path]:
    """Every markdown page of the site (the hook folder is not a page)."""
    return sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.relative_to(DOCS).parts)


def nav_files(node: object) -> list[str]:
    """The page paths of a mkdocs ``nav`` (nested lists of ``title: path`` or bare paths)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [f for item in node for f in nav_files(item)]
    if isinstance(node, dict):
        return [f for value in node.values() for f in nav_files(value)]
    return []


def code_segments(text: str) -> list[str]:
    """Shell-like code of a markdown text: lines of untagged / bash fences (continuations joined), inline spans."""
    segments, fence, prose = [], None, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = None if fence is not None else (stripped[3:].strip() or "bash")
            continue
        if fence is None:
            prose.append(line)
        elif fence in {"bash", "sh", "shell"}:
            segments.append(line)
    joined = "\n".join(segments).replace("\\\n", " ")
    commands = [re.sub(r"\s#\s.*$", "", line) for line in joined.splitlines()]
    return commands + re.findall(r"`([^`\n]+)`", "\n".join(prose))


_INVOCATION = re.compile(r"(?:^|[\s(])(stamp-bench|stamp\.cli|stamp|humanst)(?=\s)\s+(\S+)(.*)")


def invocations(segment: str) -> list[tuple[str, str, list[str]]]:
    """``(program, command, flags)`` of every call of our programs in a code segment."""
    found = []
    for match in _INVOCATION.finditer(segment):
        program, command, rest = match.groups()
        depth = 0
        for end, char in enumerate(rest):
            depth += (char == "[") - (char == "]")
            if depth == 0 and char in "|;&":
                rest = rest[:end]  # the next command of a pipe or list; `[A | B]` are alternatives of this one
                break
        flags = [word.strip("[]()|,").split("=")[0] for word in rest.split()]
        found.append((program, command, [f for f in flags if f.startswith("--")]))
    return found


def cli_commands() -> dict[str, dict[str, set[str]]]:
    """program -> command -> its option names, from the typer apps themselves."""
    table = {}
    for program, module in PROGRAMS.items():
        group = typer.main.get_command(importlib.import_module(module).app)
        table[program] = {
            name: {opt for param in cmd.params for opt in (*param.opts, *param.secondary_opts)}
            for name, cmd in group.commands.items()
        }
    return table


def literal_all(module: str) -> set[str] | None:
    """The names of a module's ``__all__`` when it is a literal list (what the API reference can read), else None."""
    base = ROOT / module.replace(".", "/")
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "__all__" and node.value is not None:
            value = node.value
            if isinstance(value, ast.List | ast.Tuple) and all(isinstance(e, ast.Constant) for e in value.elts):
                return {e.value for e in value.elts}
            return None
    return None


def api_targets() -> list[str]:
    """The ``::: target`` directives of the API reference pages."""
    pages = sorted((DOCS / "api").glob("*.md"))
    return [target for page in pages for target in re.findall(r"^::: (\S+)", page.read_text(), re.M)]


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_files(config["nav"])
    pages = {p.relative_to(DOCS).as_posix() for p in doc_pages()}
    assert sorted(pages - set(listed)) == [], "pages missing from the nav of mkdocs.yml"
    assert sorted(set(listed) - pages) == [], "nav entries without a page"
    assert len(listed) == len(set(listed)), "a page is listed twice in the nav"


def test_readme_is_short_and_its_links_resolve():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < README_MAX_LINES
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert any(link.startswith("docs/") for link in links)
    broken = [link for link in links if "://" not in link and not (ROOT / link.split("#")[0]).exists()]
    assert broken == []


def test_docs_command_lines_name_real_commands_and_flags():
    table = cli_commands()
    problems, seen = [], set()
    for path in [README, *doc_pages()]:
        for segment in code_segments(path.read_text(encoding="utf-8")):
            for program, command, flags in invocations(segment):
                if not re.fullmatch(r"[a-z][a-z-]*", command):
                    continue  # `humanst` followed by prose or a placeholder, not a call
                seen.add((program.replace(".cli", ""), command))
                if command not in table[program]:
                    problems.append(f"{path.name}: `{program} {command}` is not a command")
                    continue
                problems += [
                    f"{path.name}: `{program} {command}` has no flag {flag}"
                    for flag in flags
                    if flag not in table[program][command]
                ]
    assert problems == []
    undocumented = sorted(
        f"{p} {c}" for p in ("humanst", "stamp", "stamp-bench") for c in table[p] if (p, c) not in seen
    )
    assert undocumented == [], "commands no page shows"


def test_command_line_check_can_fail():
    table = cli_commands()
    [(program, command, flags)] = invocations("stamp fit --atlas A --no-such-flag [--resume | --bogus]  # note")
    assert (program, command) == ("stamp", "fit")
    assert [f for f in flags if f not in table[program][command]] == ["--no-such-flag", "--bogus"]
    assert "no-such-command" not in table["stamp-bench"]


def test_api_reference_covers_every_public_name():
    targets = api_targets()
    unreadable = [t for t in targets if importlib.util.find_spec(t) is None or literal_all(t) is None]
    assert unreadable == [], "API targets that are missing or have a computed __all__ the reference cannot read"
    documented = {name for t in targets for name in literal_all(t) or ()}
    missing = []
    for floor in FLOORS:
        package = importlib.import_module(floor)
        for name in package.__all__:
            if name == "__version__":
                continue
            if importlib.util.find_spec(f"{floor}.{name}") is not None:  # a public subpackage
                missing += [] if f"{floor}.{name}" in targets else [f"{floor}.{name}"]
            elif name not in documented:
                missing.append(f"{floor}.{name}")
    assert missing == []


@pytest.mark.parametrize("floor", FLOORS)
def test_api_reference_has_a_page_per_floor(floor):
    page = DOCS / "api" / f"{floor}.md"
    assert any(t.split(".")[0] == floor for t in re.findall(r"^::: (\S+)", page.read_text(), re.M))
