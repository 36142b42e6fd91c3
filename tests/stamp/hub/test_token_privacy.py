"""The hub token goes to the hub as the Authorization header and nowhere else: not to the terminal, logs or files.

``stamp push`` runs in a fresh process (the hub client reads its settings at import) with the hub client's debug
logging on, so every request it makes is logged; the fake hub on 127.0.0.1 records what it received.
"""

from __future__ import annotations

from tests.conftest import HUB_TOKEN
from tests.fake_hub import files_holding, run_cli


def test_stamp_push_sends_the_token_only_as_the_authorization_header(tiny_run, fake_hub, tmp_path):
    run = tiny_run[1].run
    args = ["push", str(run), "--repo", "lab/quiet"]
    done = run_cli("from stamp.cli import main; main()", args, fake_hub, token=HUB_TOKEN, home=tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lab/quiet" in done.stdout
    assert "Request" in done.stderr  # the hub client's debug log was on
    assert HUB_TOKEN not in done.stdout + done.stderr
    assert fake_hub.repo("lab/quiet").head is not None
    assert set(fake_hub.authorizations()) == {f"Bearer {HUB_TOKEN}"}
    assert files_holding(tmp_path, HUB_TOKEN.encode()) == []
    assert files_holding(run, HUB_TOKEN.encode()) == []
    assert not any(HUB_TOKEN.encode() in u.content for u in fake_hub.uploads)
