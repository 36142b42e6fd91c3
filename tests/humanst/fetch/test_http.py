from __future__ import annotations

import hashlib
import os
import socket
import threading

import pytest

from humanst.errors import FetchError
from humanst.fetch import fetch_url

BODY = os.urandom(3 * 1024 * 1024 + 123)  # > 3 chunks
SHA = hashlib.sha256(BODY).hexdigest()
FAST = {"backoff_s": 0.01, "timeout_s": 5}


def _part(dest):
    return dest.with_suffix(dest.suffix + ".part")


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and not p.name.endswith(".verified"))


def test_download_verifies_sha256_and_reports_progress(server, tmp_path):
    url = server.add("/data/file.bin", body=BODY)
    seen = []
    dest = tmp_path / "out" / "file.bin"
    got = fetch_url(url, dest, sha256=SHA, size=len(BODY), progress=lambda *a: seen.append(a), **FAST)
    assert got == dest
    assert dest.read_bytes() == BODY
    assert not _part(dest).exists()
    assert _leftovers(dest.parent) == []
    assert seen[-1] == ("file.bin", len(BODY), len(BODY))
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)


def test_resume_after_truncated_transfer(server, tmp_path):
    url = server.add("/half.bin", body=BODY, truncate_first=True)
    dest = tmp_path / "half.bin"
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    assert dest.read_bytes() == BODY
    first, second = server.requests("/half.bin")
    assert "Range" not in first.headers
    assert second.headers["Range"] == f"bytes={len(BODY) // 2}-"


def test_failed_run_keeps_the_part_file_and_the_next_run_resumes(server, tmp_path):
    url = server.add("/cut.bin", body=BODY, truncate_first=True)
    dest = tmp_path / "cut.bin"
    with pytest.raises(FetchError, match="bytes received so far are kept"):
        fetch_url(url, dest, sha256=SHA, size=len(BODY), retries=0, **FAST)
    assert _part(dest).read_bytes() == BODY[: len(BODY) // 2]
    assert not dest.exists()
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    assert dest.read_bytes() == BODY
    assert server.requests("/cut.bin")[-1].headers["Range"] == f"bytes={len(BODY) // 2}-"
    assert _leftovers(tmp_path) == []


def test_resume_from_part_file_left_by_an_earlier_run(server, tmp_path):
    url = server.add("/resume.bin", body=BODY)
    dest = tmp_path / "resume.bin"
    _part(dest).write_bytes(BODY[:1000])
    fetch_url(url, dest, sha256=SHA, size=None, **FAST)
    assert dest.read_bytes() == BODY
    assert [r.headers.get("Range") for r in server.requests("/resume.bin")] == ["bytes=1000-"]
    assert not _part(dest).exists()


def test_server_ignoring_range_restarts_from_zero(server, tmp_path):
    url = server.add("/norange.bin", body=BODY, ignore_range=True)
    dest = tmp_path / "norange.bin"
    _part(dest).write_bytes(b"x" * 5000)  # garbage that must not be kept
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    assert dest.read_bytes() == BODY
    assert server.requests("/norange.bin")[0].headers["Range"] == "bytes=5000-"


def test_server_ignoring_range_and_dropping_the_connection(server, tmp_path):
    url = server.add("/worst.bin", body=BODY, ignore_range=True, truncate_first=True)
    dest = tmp_path / "worst.bin"
    _part(dest).write_bytes(b"x" * 5000)
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    assert dest.read_bytes() == BODY
    assert [r.headers.get("Range") for r in server.requests("/worst.bin")] == [
        "bytes=5000-",
        f"bytes={len(BODY) // 2}-",
    ]


def test_part_file_longer_than_resource_restarts(server, tmp_path):
    url = server.add("/short.bin", body=b"abc")
    dest = tmp_path / "short.bin"
    _part(dest).write_bytes(b"0123456789")
    fetch_url(url, dest, sha256=hashlib.sha256(b"abc").hexdigest(), size=3, **FAST)
    assert dest.read_bytes() == b"abc"
    assert server.hits("/short.bin") == 2  # 416, then the whole file


def test_404_names_the_url(server, tmp_path):
    url = server.base + "/missing.bin"
    with pytest.raises(FetchError, match="was not found") as info:
        fetch_url(url, tmp_path / "missing.bin", sha256=None, size=None, sample_id="S1", **FAST)
    text = str(info.value)
    assert url in text
    assert "sample 'S1'" in text
    assert "manifest" in text
    assert server.hits("/missing.bin") == 1  # 4xx is not retried


def test_403_is_not_retried(server, tmp_path):
    url = server.add("/secret.bin", status=403)
    with pytest.raises(FetchError, match="refused access"):
        fetch_url(url, tmp_path / "secret.bin", sha256=None, size=None, **FAST)
    assert server.hits("/secret.bin") == 1


def test_server_errors_are_retried_then_succeed(server, tmp_path):
    url = server.add("/flaky.bin", body=BODY, fail_first=2)
    dest = tmp_path / "flaky.bin"
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits("/flaky.bin") == 3


def test_429_with_retry_after_is_retried(server, tmp_path):
    url = server.add("/busy.bin", body=b"ok", fail_first=1, fail_status=429)
    fetch_url(url, tmp_path / "busy.bin", sha256=None, size=2, **FAST)
    assert server.hits("/busy.bin") == 2


def test_gives_up_after_the_retries(server, tmp_path):
    url = server.add("/down.bin", body=b"never", fail_first=100)
    with pytest.raises(FetchError, match="after 3 attempts; last error: HTTP 500"):
        fetch_url(url, tmp_path / "down.bin", sha256=None, size=None, retries=2, **FAST)
    assert server.hits("/down.bin") == 3
    assert not (tmp_path / "down.bin").exists()


def test_connection_refused_is_retried_then_reported(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    with pytest.raises(FetchError, match="could not download") as info:
        fetch_url(f"http://127.0.0.1:{port}/x.bin", tmp_path / "x.bin", sha256=None, size=None, retries=1, **FAST)
    assert "after 2 attempts" in str(info.value)


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    url = server.add("/changed.bin", body=BODY)
    dest = tmp_path / "changed.bin"
    wrong = "0" * 64
    with pytest.raises(FetchError, match="changed upstream") as info:
        fetch_url(url, dest, sha256=wrong, size=None, sample_id="S1", **FAST)
    assert wrong in str(info.value)
    assert SHA in str(info.value)
    assert not dest.exists()
    assert not _part(dest).exists()
    assert _leftovers(tmp_path) == []


def test_size_mismatch(server, tmp_path):
    url = server.add("/sized.bin", body=BODY)
    dest = tmp_path / "sized.bin"
    with pytest.raises(FetchError, match=f"expected 10 bytes .*found {len(BODY)}"):
        fetch_url(url, dest, sha256=None, size=10, **FAST)
    assert not dest.exists()
    assert not _part(dest).exists()


def test_cached_file_is_not_downloaded_again(server, tmp_path):
    url = server.add("/once.bin", body=BODY)
    dest = tmp_path / "once.bin"
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
    fetch_url(url, dest, sha256=None, size=None, **FAST)
    assert server.hits("/once.bin") == 1


def test_cached_file_with_a_wrong_checksum_is_replaced(server, tmp_path):
    url = server.add("/stale.bin", body=BODY)
    dest = tmp_path / "stale.bin"
    dest.write_bytes(b"stale")
    fetch_url(url, dest, sha256=SHA, size=None, **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits("/stale.bin") == 1


def test_concurrent_fetches_of_one_file_do_not_corrupt_it(server, tmp_path):
    url = server.add("/shared.bin", body=BODY)
    dest = tmp_path / "shared.bin"
    errors = []

    def fetch():
        try:
            fetch_url(url, dest, sha256=SHA, size=len(BODY), **FAST)
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert dest.read_bytes() == BODY
    assert _leftovers(tmp_path) == []


MD5 = hashlib.md5(BODY).hexdigest()


def test_md5_of_a_resumed_download_is_checked(server, tmp_path):
    url = server.add("/gdc/data/slide.svs", body=BODY, truncate_first=True)
    dest = tmp_path / "slide.svs"
    fetch_url(url, dest, sha256=None, size=len(BODY), md5=MD5.upper(), **FAST)  # GDC-style md5sum, any case
    assert dest.read_bytes() == BODY
    assert server.hits("/gdc/data/slide.svs") == 2  # truncated once, then resumed
    fetch_url(url, dest, sha256=None, size=len(BODY), md5=MD5, **FAST)  # cached: the stamp holds the md5
    assert server.hits("/gdc/data/slide.svs") == 2


def test_md5_mismatch_is_refused_and_leaves_no_file(server, tmp_path):
    url = server.add("/gdc/data/bad.svs", body=BODY)
    dest = tmp_path / "bad.svs"
    with pytest.raises(FetchError, match=f"expected md5 {'f' * 32}, found {MD5}"):
        fetch_url(url, dest, sha256=None, size=None, md5="f" * 32, **FAST)
    assert not dest.exists()
    assert not _part(dest).exists()
    assert _leftovers(tmp_path) == []


def test_cached_file_with_a_wrong_md5_is_downloaded_again(server, tmp_path):
    url = server.add("/gdc/data/old.svs", body=BODY)
    dest = tmp_path / "old.svs"
    dest.write_bytes(b"an older file of another size and content")
    fetch_url(url, dest, sha256=None, size=None, md5=MD5, **FAST)
    assert dest.read_bytes() == BODY
    assert server.hits("/gdc/data/old.svs") == 1
