"""The report page escapes every string it shows and references no external asset."""

from __future__ import annotations

import re

from benchmarks.report.page import Figure, Pre, Section, Table, Text, render_page


def test_every_string_is_escaped():
    evil = '<script>alert("x")</script>'
    page = render_page(
        evil,
        [Text(evil)],
        [
            Section(
                evil,
                [
                    Table("t", [evil], [[evil]]),
                    Table("f", [evil], [[evil]], fold=evil),
                    Figure('a" onerror="x.png', evil, evil),
                    Pre(evil, evil),
                ],
                anchor='"x',
            )
        ],
        generator=evil,
    )
    assert "<script" not in page
    assert 'onerror="x' not in page
    assert page.count("&lt;script&gt;") >= 10
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    folded = f'<details><summary>{escaped}</summary><div class="wide"><table id="f">'
    assert folded in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
