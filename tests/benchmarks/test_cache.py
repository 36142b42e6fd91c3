from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

from benchmarks.cache import aligned_embeddings, cache_key, read_cache_info, read_embeddings, write_embeddings
from benchmarks.errors import CacheError

META = {"encoder": "e", "adapter_hash": "", "weights": "hub", "content_hash": "h"}


def test_round_trip(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    write_embeddings(tmp_path, "s1", ["a", "b", "c"], x, META)
    file = read_embeddings(tmp_path / "s1.safetensors")
    assert file.spot_ids == ["a", "b", "c"]
    np.testing.assert_array_equal(file.embeddings, x)
    assert file.meta["embed_dim"] == "4"
    assert file.meta["sample_id"] == "s1"


def test_cache_key_follows_the_contract():
    assert cache_key("timm:vit_small") == "timm-vit_small"
    assert cache_key("uni", adapter_hash="0123456789ab") == "uni+0123456789ab"
    assert cache_key("vit-tiny-test", random_init=True) == "vit-tiny-test+random"


@pytest.mark.parametrize(
    ("tensors", "meta", "match"),
    [
        ({"embeddings": np.full((2, 3), np.nan, np.float32)}, None, "NaN or infinite"),
        ({"feats": np.zeros((2, 3), np.float32)}, None, "exactly one tensor named 'embeddings'"),
        ({"embeddings": np.zeros((2, 3), np.float64)}, None, "float32"),
        ({"embeddings": np.zeros((2, 3), np.float32)}, {"spot_ids": json.dumps(["a"])}, "2 distinct ids"),
    ],
)
def test_bad_files_are_refused(tmp_path, tensors, meta, match):
    full = {**META, "schema_version": "1", "sample_id": "s", "embed_dim": "3", "spot_ids": json.dumps(["a", "b"])}
    save_file(tensors, str(tmp_path / "s.safetensors"), metadata={**full, **(meta or {})})
    with pytest.raises(CacheError, match=match):
        read_embeddings(tmp_path / "s.safetensors")


def test_missing_spot_and_missing_cache_json(tmp_path):
    write_embeddings(tmp_path, "s1", ["a", "b"], np.zeros((2, 2), np.float32), META)
    with pytest.raises(CacheError, match="no embedding"):
        aligned_embeddings(tmp_path, np.array(["s1"] * 3, dtype=object), np.array(["a", "b", "z"], dtype=object))
    with pytest.raises(CacheError, match=r"cache\.json"):
        read_cache_info(tmp_path)


# cache.json as `stamp embed` on main wrote it before the typed model (optional keys only when set)
TODAYS_CACHE_JSON = {
    "schema_version": 1, "encoder": "vit-tiny-test", "adapter_hash": "abcdef012345", "weights": "random",
    "embed_dim": 3, "atlas": "demo", "adapter_source": "runs/tiny", "adapter_commit": "",
    "replicate": {"seed": 0, "group": "0123456789ab"}, "samples": {"s1": "c0ffee"},
}  # fmt: skip


def test_a_cache_json_written_by_todays_main_reads_and_writes_back_the_same_keys(tmp_path):
    from stamp.embedding_cache import CACHE_FORMAT, CACHE_INFO

    (tmp_path / CACHE_INFO).write_text(json.dumps(TODAYS_CACHE_JSON))
    info = read_cache_info(tmp_path)
    assert (info.encoder, info.embed_dim, info.replicate.seed, info.samples) == (
        "vit-tiny-test",
        3,
        0,
        {"s1": "c0ffee"},
    )
    assert CACHE_FORMAT.dump(info) == TODAYS_CACHE_JSON
    bare = {
        k: v
        for k, v in TODAYS_CACHE_JSON.items()
        if k not in ("atlas", "adapter_source", "adapter_commit", "replicate")
    }
    (tmp_path / CACHE_INFO).write_text(json.dumps(bare))
    assert CACHE_FORMAT.dump(read_cache_info(tmp_path)) == bare  # unset optional keys stay off the disk


def test_a_newer_cache_json_names_the_upgrade(tmp_path):
    from stamp.embedding_cache import CACHE_INFO

    (tmp_path / CACHE_INFO).write_text(json.dumps({**TODAYS_CACHE_JSON, "schema_version": 7}))
    with pytest.raises(CacheError, match=r"schema_version 7, newer than this stamp reads \(1\): upgrade stamp"):
        read_cache_info(tmp_path)
