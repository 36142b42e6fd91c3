from __future__ import annotations

import hashlib
from pathlib import Path

from humanst.fetch import default_cache_dir, url_cache_path


def test_default_cache_dir_honours_humanst_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HUMANST_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("HUMANST_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "humanst"


def test_url_cache_path_layout(tmp_path):
    url = "https://example.org/files/Visium%20Sample.tar.gz?download=1"
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    assert url_cache_path(tmp_path, url) == tmp_path / "url" / key / "Visium_Sample.tar.gz"


def test_url_cache_path_never_escapes_and_always_has_a_name(tmp_path):
    for url in ("https://example.org/", "https://example.org/a/..", "https://example.org/%2e%2e%2f%2e%2e%2fx"):
        path = url_cache_path(tmp_path, url)
        assert path.parent.parent == tmp_path / "url"
        assert path.name
        assert not path.name.startswith(".")
