"""Key shares: SLIP-39 against its 45 reference vectors (tests/data/slip39, MIT, SatoshiLabs), and the age
identity's Bech32 form against pyrage and age-keygen."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyrage
import pytest
from shamir_mnemonic import MnemonicError, combine_mnemonics

from rootkeeper.custody import shares as S
from rootkeeper.errors import InputError

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "data" / "slip39" / "vectors.json").read_text())


@pytest.mark.parametrize("vector", VECTORS, ids=[v[0].split(".")[0] for v in VECTORS])
def test_the_slip39_reference_vectors(vector):
    description, mnemonics, secret, _xprv = vector
    if not secret:
        with pytest.raises(MnemonicError):
            combine_mnemonics(mnemonics, b"TREZOR")
        with pytest.raises(InputError, match="do not combine"):
            S.combine(mnemonics, b"TREZOR", [], "vector")
        return
    assert combine_mnemonics(mnemonics, b"TREZOR") == bytes.fromhex(secret), description
    if len(secret) == 64:  # 32 bytes: what an age identity holds; through rootkeeper's own path
        assert S.identity_to_bytes(S.combine(mnemonics, b"TREZOR", [], "vector")) == bytes.fromhex(secret)


def test_all_45_vectors_are_there():
    assert len(VECTORS) == 45 and sum(1 for v in VECTORS if not v[2]) == 30


def test_the_bech32_identity_round_trips_with_pyrage():
    for _ in range(50):
        identity = pyrage.x25519.Identity.generate()
        secret = S.identity_to_bytes(str(identity))
        assert S.bytes_to_identity(secret) == str(identity)
        assert S.recipient_of(S.bytes_to_identity(secret)) == str(identity.to_public())


def test_an_identity_from_age_keygen_is_read(tmp_path):
    keygen = shutil.which("age-keygen")
    if keygen is None:
        pytest.skip("age-keygen is not installed")
    key = tmp_path / "k"
    subprocess.run([keygen, "-o", key], check=True, capture_output=True)
    identity = next(ln for ln in key.read_text().splitlines() if ln.startswith("AGE-SECRET-KEY-"))
    public = subprocess.run([keygen, "-y", key], check=True, capture_output=True, text=True).stdout.strip()
    assert S.recipient_of(S.bytes_to_identity(S.identity_to_bytes(identity))) == public


def test_a_mistyped_identity_fails_its_checksum():
    identity = str(pyrage.x25519.Identity.generate())
    typo = identity[:-3] + ("Q" if identity[-3] != "Q" else "P") + identity[-2:]
    with pytest.raises(InputError, match="checksum"):
        S.identity_to_bytes(typo)


def test_a_wrong_passphrase_is_caught_by_the_fingerprint_and_no_word_is_echoed():
    identity = str(pyrage.x25519.Identity.generate())
    split = S.split(identity, 2, 3, b"right")
    assert S.combine(split.mnemonics[:2], b"right", [split.recipient], "f") == identity
    with pytest.raises(InputError, match="not a recipient of the seed store") as err:
        S.combine(split.mnemonics[:2], b"wrong", [split.recipient], "f")
    with pytest.raises(InputError, match="do not combine") as short:
        S.combine(split.mnemonics[:1], b"right", [split.recipient], "f")
    words = split.mnemonics[0].split()
    for pair in zip(words, words[1:], strict=False):  # no two words of a share in a row
        assert " ".join(pair) not in str(err.value) and " ".join(pair) not in str(short.value)
    assert S.read_mnemonics(S.share_text(split, 1), "s") == [split.mnemonics[1]]
