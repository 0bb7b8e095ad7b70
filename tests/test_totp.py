"""Codes: RFC 6238 Appendix B through the CLI, and oathtool as an independent oracle."""

from __future__ import annotations

import base64
import random
import subprocess

import pytest
from conftest import oracle, random_seed

from rootkeeper.errors import InputError
from rootkeeper.rules import totp

# RFC 6238 Appendix B: (time, SHA1, SHA256, SHA512), 8-digit values as published.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
KEYS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
IDS = {"SHA1": "000000006238", "SHA256": "000000006239", "SHA512": "000000006240"}


def b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


@pytest.fixture
def rfc_home(home):
    rows = ["Account #,Account Name,Account Email,MFA Seed,Device ARN,Algorithm,Digits,Period"]
    rows.append(f"{IDS['SHA1']},rfc-sha1,rfc1@example.com,{b32(KEYS['SHA1'])},,SHA1,6,30")
    rows.append(f"{IDS['SHA256']},rfc-sha256,rfc256@example.com,{b32(KEYS['SHA256'])},,SHA256,8,30")
    rows.append(f"{IDS['SHA512']},rfc-sha512,rfc512@example.com,{b32(KEYS['SHA512'])},,SHA512,8,30")
    (home.root / "rfc.csv").write_text("\n".join(rows) + "\n")
    home.rk("seeds", "import", "rfc.csv", check=True)
    return home


@pytest.mark.parametrize("when,sha1,_a,_b", VECTORS)
def test_rfc6238_sha1_vectors_through_cli(rfc_home, when, sha1, _a, _b):
    result = rfc_home.rk("code", IDS["SHA1"], "--reason", "rfc 6238 vector", "--at", str(when), check=True)
    assert result.out.splitlines()[0] == sha1[-6:]
    assert result.out.strip() == sha1[-6:]  # the code alone on stdout
    assert "s left" in result.err


def test_rfc6238_sha256_sha512_eight_digits_per_row(rfc_home):
    for when, _sha1, sha256, sha512 in VECTORS[:3]:
        assert rfc_home.rk("code", "rfc-sha256", "--reason", "vector", "--at", when, check=True).out.strip() == sha256
        assert rfc_home.rk("code", "rfc-sha512", "--reason", "vector", "--at", when, check=True).out.strip() == sha512


def test_at_accepts_iso8601(rfc_home):
    # 1234567890 is 2009-02-13T23:31:30Z
    for text in ("2009-02-13T23:31:30Z", "2009-02-13T23:31:30+00:00", "2009-02-14T00:31:30+01:00"):
        assert rfc_home.rk("code", "rfc-sha1", "--reason", "iso", "--at", text, check=True).out.strip() == "005924"


def oathtool_code(seed: str, when: int, digits: int = 6, algorithm: str = "SHA1") -> str:
    mode = "--totp" if algorithm == "SHA1" else f"--totp={algorithm.lower()}"
    out = subprocess.run([oracle("oathtool"), mode, "-d", str(digits), "-b", seed, "-N", f"@{when}"],
                         capture_output=True, check=True)
    return out.stdout.decode().strip()


def test_oathtool_agrees_with_core_on_many_random_seeds_and_times():
    oracle("oathtool")
    rng = random.Random(6238)
    for _ in range(150):
        seed = random_seed(rng.choice([10, 16, 20, 32, 40]))
        when = rng.randrange(0, 4_000_000_000)
        algorithm = rng.choice(["SHA1", "SHA1", "SHA256", "SHA512"])
        digits = rng.choice([6, 6, 8])
        assert totp.code(seed, when, digits=digits, algorithm=algorithm) == oathtool_code(seed, when, digits, algorithm)


def test_oathtool_agrees_with_cli(home):
    oracle("oathtool")
    rng = random.Random(42)
    seeds = [random_seed(40) for _ in range(6)]
    lines = ["Account #,Account Name,Account Email,MFA Seed"]
    lines += [f"{100000000000 + i},acct-{i},a{i}@example.com,{s}" for i, s in enumerate(seeds)]
    (home.root / "s.csv").write_text("\n".join(lines) + "\n")
    home.rk("seeds", "import", "s.csv", check=True)
    for i, seed in enumerate(seeds):
        when = rng.randrange(1_500_000_000, 2_500_000_000)
        got = home.rk("code", f"acct-{i}", "--reason", "oracle check", "--at", when, check=True).out.strip()
        assert got == oathtool_code(seed, when)


def test_parse_time_rejects_garbage():
    with pytest.raises(InputError):
        totp.parse_time("yesterday")
    assert totp.parse_time("0") == 0
    assert totp.seconds_left(59) == 1


def test_a_code_with_less_than_three_seconds_left_is_never_shown_the_next_one_is(rfc_home, monkeypatch):
    """Nobody types a code in one second: now, the next code is waited for (at most 3 s); the code shown is
    oathtool's for the instant it is shown."""
    from rootkeeper.storage.settings import of_config
    from rootkeeper.stores.seeds.store import read_identity_file
    from rootkeeper.workflows import breakglass
    from rootkeeper.workspace import Credentials, Workspace

    clock = {"now": 1_800_000_000 - 1_800_000_000 % 30 + 29.2}  # 1 s left in its window
    slept = []
    monkeypatch.setattr(breakglass.time, "time", lambda: clock["now"])
    monkeypatch.setattr(breakglass.time, "sleep", lambda s: (slept.append(s), clock.__setitem__("now", clock["now"] + s)))
    ws = Workspace(of_config(rfc_home.config), Credentials(str, str, lambda: read_identity_file(rfc_home.identity)))
    shown = breakglass.current_code(ws, "rfc-sha1", "drill")
    assert slept and slept[0] < 3 and shown.seconds_left == 30
    assert shown.code == oathtool_code(b32(KEYS["SHA1"]), int(clock["now"]))
    clock["now"] += 10  # 20 s left: shown at once
    slept.clear()
    assert breakglass.current_code(ws, "rfc-sha1", "drill").seconds_left == 20 and not slept


def test_the_ceremonys_codes_have_time_left_and_new_ones_are_never_codes_already_shown(monkeypatch):
    """The console needs two consecutive codes typed in time: the first has at least 10 s left (waited for),
    and "new codes" are the next two windows' codes, never one already shown (AWS refuses a code twice)."""
    from rootkeeper.stores.seeds import SeedRow
    from rootkeeper.workflows import enroll

    seed = b32(KEYS["SHA1"])
    row = SeedRow("123456789012", "prod", "p@example.com", seed)
    clock = {"now": 1_800_000_000 - 1_800_000_000 % 30 + 25.5}  # 4 s left in its window
    monkeypatch.setattr(enroll.time, "time", lambda: clock["now"])
    monkeypatch.setattr(enroll.time, "sleep", lambda s: clock.__setitem__("now", clock["now"] + s))
    codes, at = enroll.console_codes(row, fresh=enroll.CONSOLE_FRESH)
    assert 30 - int(at) % 30 >= enroll.CONSOLE_FRESH
    assert list(codes) == [oathtool_code(seed, int(at)), oathtool_code(seed, int(at) + 30)]
    again, later = enroll.console_codes(row, after=at, fresh=enroll.CONSOLE_FRESH)
    assert int(later) // 30 == int(at) // 30 + 2 and not set(again) & set(codes)
    assert list(again) == [oathtool_code(seed, int(later)), oathtool_code(seed, int(later) + 30)]
