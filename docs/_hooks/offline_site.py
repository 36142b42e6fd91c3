"""MkDocs hook: the built site must read offline, so nothing in it may load from another host.

After the build, every HTML page and stylesheet is scanned for resources fetched from outside
(``src=``/``<link href=``/``srcset=`` with http(s), CSS ``url(http...)`` and ``@import``). Each one found is a
warning, so ``mkdocs build --strict`` (``make docs``) fails. Plain ``<a href>`` links are allowed: following
one is the reader's choice, not a fetch.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.offline_site")

_HTML_FETCH = re.compile(
    r"""<(?!a\b)[a-z]+\b[^>]*?\b(?:src|href|srcset|data|poster)\s*=\s*["']?\s*(?:https?:)?//[^"'\s>]+""",
    re.IGNORECASE,
)
_CSS_FETCH = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//[^"')\s]+""", re.IGNORECASE)


def external_fetches(site: Path) -> list[str]:
    """Return ``file: snippet`` for every resource the site would load from another host."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in {".html", ".css"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = _HTML_FETCH if path.suffix == ".html" else _CSS_FETCH
        found += [f"{path.relative_to(site)}: {match.group(0)[:160]}" for match in pattern.finditer(text)]
    return found


def on_post_build(config: Any, **_: Any) -> None:
    """Warn (an error under --strict) for every resource of the built site that lives on another host."""
    for item in external_fetches(Path(config["site_dir"])):
        log.warning("the site loads a resource from another host (it must read offline): %s", item)
