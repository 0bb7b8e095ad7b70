"""Tamper detection: one bit flipped at positions sampled across the whole file, in the vault, the seed store,
the journal and a medium's manifest. Every flip must be detected with a clear error (a rootkeeper error, or a
check that fails); none accepted, none a crash. A sample goes through the command line too (one ``error:``
line, exit 2 or 1, files unchanged).

``ROOTKEEPER_FLIPS`` sets the flips per file (default 40 in CI); the figures go to
``tests/hardening/.tamper-figures.json`` (not tracked).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from conftest import SEEDS_PASSPHRASE, VAULT_PASSWORD, assert_clean_failure, random_seed, snapshot

from rootkeeper.custody.media import Manifest, verify
from rootkeeper.errors import RootkeeperError
from rootkeeper.storage import transaction
from rootkeeper.storage.journal import Journal
from rootkeeper.stores.seeds import SeedStore, read_identity_file
from rootkeeper.stores.vault import Vault

FLIPS = int(os.environ.get("ROOTKEEPER_FLIPS", "40"))
FIGURES: dict[str, dict[str, int]] = {}


def positions(size: int, count: int, rng: random.Random) -> list[int]:
    """The first and last bytes, then positions spread evenly with jitter, across the whole file."""
    picks = {0, size - 1, min(size - 1, 16), max(0, size - 17)}
    step = max(1, size // max(1, count))
    picks |= {min(size - 1, i + rng.randrange(step)) for i in range(0, size, step)}
    return sorted(picks)[:max(count, 4)]


def flip_each(name: str, path: Path, opens, rng: random.Random, flips: int = FLIPS) -> None:
    """Flip one bit at each position (restoring the file between flips); ``opens()`` must refuse each."""
    original = path.read_bytes()
    made = detected = 0
    accepted = []
    for position in positions(len(original), flips, rng):
        data = bytearray(original)
        data[position] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
        made += 1
        try:
            refused = opens() is False
        except RootkeeperError as exc:
            assert exc.message and "Traceback" not in exc.message
            refused = True
        if refused:
            detected += 1
        else:
            accepted.append(position)
    path.write_bytes(original)
    FIGURES[name] = {"flips": made, "detected": detected}
    assert accepted == [], f"{name}: flips at {accepted} were accepted"


@pytest.fixture
def stores(home):
    for account, name in (("111111111111", "prod"), ("222222222222", "dev")):
        home.rk("enroll", account, "--name", name, "--seed-file", "-", input=random_seed(), check=True)
    home.rk("code", "prod", "--reason", "tamper test", check=True)
    return home


def test_every_flip_in_the_vault_is_detected(stores):
    flip_each("vault", stores.vault, lambda: Vault.open(stores.vault, VAULT_PASSWORD) and None, random.Random(1))


def test_every_flip_in_the_seed_store_is_detected(stores):
    identities = read_identity_file(stores.identity)
    flip_each("seed store", stores.seeds, lambda: SeedStore.open(stores.seeds, identities=identities) and None,
              random.Random(2))


def test_every_flip_in_a_passphrase_seed_store_is_detected(tmp_path):
    store = SeedStore.new(tmp_path / "s.age", passphrase=SEEDS_PASSPHRASE)
    store.create()
    # each open costs age's scrypt (about 1.4 s): an eighth of the flips
    flip_each("seed store (passphrase)", store.path, lambda: SeedStore.open(store.path, passphrase=SEEDS_PASSPHRASE)
              and None, random.Random(3), flips=max(4, FLIPS // 8))


def test_every_flip_in_the_journal_is_detected(stores):
    journal = Journal(stores.journal)
    assert transaction.verify(journal).ok
    flip_each("journal", stores.journal, lambda: False if not transaction.verify(journal).ok else None, random.Random(4))


def test_every_flip_in_a_manifest_is_detected(stores, tmp_path_factory):
    medium = tmp_path_factory.mktemp("usb")
    stores.rk("media", "write", "vault", medium, check=True)

    def opens():
        Manifest.read(medium, required=True)
        return False if verify(medium).problems else None

    flip_each("manifest", medium / "rootkeeper-manifest.json", opens, random.Random(5))
    flip_each("vault on a medium", medium / stores.vault.name, lambda: False if verify(medium).problems else None,
              random.Random(6))


def test_a_flipped_store_is_one_clear_error_on_the_command_line_and_nothing_changes(stores):
    rng = random.Random(7)
    for path, args in ((stores.vault, ["password", "prod", "--reason", "r", "--show"]),
                       (stores.seeds, ["code", "prod", "--reason", "r"])):
        original = path.read_bytes()
        for position in rng.sample(range(len(original)), 5):
            data = bytearray(original)
            data[position] ^= 1 << rng.randrange(8)
            path.write_bytes(bytes(data))
            before = snapshot(stores.root)
            result = stores.rk(*args)
            assert_clean_failure(result, 2)
            assert result.out == ""
            assert snapshot(stores.root) == before
        path.write_bytes(original)
    text = stores.journal.read_text()
    stores.journal.write_text(text.replace('"prod"', '"prud"', 1))
    result = stores.rk("journal", "verify")
    assert result.returncode == 1 and "error:" in result.err


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    Path(__file__).with_name(".tamper-figures.json").write_text(json.dumps(FIGURES, indent=1) + "\n")
