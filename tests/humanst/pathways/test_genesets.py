from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanst.errors import GeneSetError
from humanst.pathways import SHIPPED_COLLECTIONS, load_collection, load_gmt


def test_shipped_collections_load_with_licence_and_citation(repo_root: Path):
    hallmark = load_collection("hallmark")
    reactome = load_collection("reactome")
    assert len(hallmark) == 50
    assert len(reactome) == 2504
    assert hallmark.license == "CC-BY-4.0"
    assert "Liberzon" in hallmark.citation
    assert reactome.license == "CC0-1.0"
    assert "HALLMARK_HYPOXIA" in hallmark.names
    assert "VEGFA" in hallmark["HALLMARK_HYPOXIA"]
    sources = (repo_root / "manifests" / "genesets" / "SOURCES.md").read_text()
    for info in SHIPPED_COLLECTIONS.values():
        assert info.filename in sources
    assert "KEGG" not in " ".join(reactome.names + hallmark.names)


def test_any_gmt_path_loads(tmp_path: Path):
    path = tmp_path / "mine.gmt"
    path.write_text("SET_A\tdesc\tTP53\tMYC\tMYC\nSET_B\t\tEGFR\n")
    sets = load_collection(str(path))
    assert sets.names == ["SET_A", "SET_B"]
    assert sets["SET_A"] == ("TP53", "MYC"), "duplicated members are kept once"
    assert sets.genes() == ["TP53", "MYC", "EGFR"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"A\td\tX\nA\td\tY\n", "line 2: duplicate set name 'A'"),
        (b"A\td\tX\nB\td\n", "line 2: set 'B' has no genes"),
        (b"A\td\tX\nnotabs here\n", "line 2: expected 'name<TAB>description<TAB>genes...'"),
        (b"A\td\tX\nB\td\t\xff\xfe\n", "line 2: not UTF-8"),
        (b"\n# only a comment\n", "no gene sets found"),
    ],
)
def test_malformed_gmt_errors_name_file_and_line(tmp_path: Path, content: bytes, words: str):
    path = tmp_path / "bad.gmt"
    path.write_bytes(content)
    with pytest.raises(GeneSetError) as info:
        load_gmt(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)


def test_unknown_collection_lists_the_shipped_ones():
    with pytest.raises(GeneSetError, match="use one of hallmark, reactome"):
        load_collection("kegg")


_symbol = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=10)


# deadline=None: no wall-clock limits in unit tests (a loaded CI machine took 376 ms)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"[A-Z][A-Z0-9_]{0,20}", fullmatch=True),
        st.lists(_symbol, min_size=1, max_size=8),
        min_size=1,
        max_size=6,
    )
)
def test_gmt_round_trips(tmp_path: Path, sets):
    path = tmp_path / "rt.gmt"
    path.write_text("".join(f"{name}\tdesc\t" + "\t".join(genes) + "\n" for name, genes in sets.items()))
    loaded = load_gmt(path)
    assert loaded.names == list(sets)
    for name, genes in sets.items():
        assert loaded[name] == tuple(dict.fromkeys(genes))
