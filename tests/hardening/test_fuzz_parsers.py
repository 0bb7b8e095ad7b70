"""Fuzzing every parser and normaliser (hypothesis): no exception but rootkeeper's own escapes, and the
round trips hold. A rootkeeper error is what the command line prints as one ``error:`` line, exit 2.

The default profile runs 150 examples a test in CI; ``HYPOTHESIS_PROFILE=long`` runs 5,000. What ran is
counted per parser and written to ``tests/hardening/.fuzz-examples.json`` (not tracked).
"""

from __future__ import annotations

import base64
import collections
import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rootkeeper.custody import shares as S
from rootkeeper.custody.media import Manifest
from rootkeeper.custody.plan import parse_plan
from rootkeeper.errors import RootkeeperError
from rootkeeper.paper import lines as L
from rootkeeper.paper.seedsheet import sheet_uri
from rootkeeper.rules.accounts import validate_account_id, validate_email, validate_name
from rootkeeper.rules.totp import parse_time
from rootkeeper.storage import transaction
from rootkeeper.storage.journal import Journal, parse_anchor
from rootkeeper.stores.seeds.formats import (
    SeedRow,
    check_row,
    parse_import,
    parse_otpauth,
    parse_store,
    to_csv,
    to_otpauth,
    validate_seed,
)

settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
EXAMPLES: collections.Counter = collections.Counter()

# text that looks like what the parsers read: their own punctuation, digits, base32, and anything else
SHAPED = st.text(alphabet=st.sampled_from(list(string.printable) + ["|", ",", "\"", "=", "\ufeff", "\u0660", "é", "\x00"]),
                 max_size=300)
ANY_TEXT = st.one_of(SHAPED, st.text(max_size=300))


def refused_cleanly(fn, *args):
    """Run a parser: a result, or a rootkeeper error (one 'error:' line, exit 2). Anything else fails."""
    try:
        return fn(*args)
    except RootkeeperError as exc:
        assert exc.exit_code == 2 and exc.message and "\n" not in exc.message.strip("\n")
        return None


def count(name: str) -> None:
    EXAMPLES[name] += 1


# ---------------------------------------------------------------- strategies of valid values
account_ids = st.from_regex(r"[0-9]{12}", fullmatch=True)
names = st.from_regex(r"[a-z][a-z0-9 ._()-]{0,30}[a-z0-9]", fullmatch=True)
emails = st.from_regex(r"[a-z][a-z0-9.]{0,20}\+?[a-z0-9]{0,8}@[a-z]{1,12}\.(com|org|example)", fullmatch=True)
seeds = st.binary(min_size=10, max_size=64).map(lambda b: base64.b32encode(b).decode().rstrip("="))
devices = st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9_+=,.@-]{1,40}", fullmatch=True))


@st.composite
def rows(draw):
    account = draw(account_ids)
    device = draw(devices)
    row = SeedRow(account, draw(names), draw(emails), draw(seeds),
                  f"arn:aws:iam::{account}:mfa/{device}" if device else "",
                  draw(st.sampled_from(["SHA1", "SHA256", "SHA512"])), draw(st.sampled_from([6, 7, 8])),
                  draw(st.sampled_from([30, 60])))
    return check_row(row, "fuzz")[0]


# ---------------------------------------------------------------- no crash on anything
@given(ANY_TEXT)
def test_seed_imports_csv_table_and_otpauth(text):
    count("seeds import (CSV, pipe table, otpauth lines)")
    refused_cleanly(parse_import, text, "fuzz.csv", None, lambda _id: None)
    refused_cleanly(parse_import, "Account #,Account Name,Account Email,MFA Seed\n" + text, "fuzz.csv")
    refused_cleanly(parse_import, "| Account # | Account Name | Account Email | MFA Seed |\n" + text, "fuzz.txt")


@given(ANY_TEXT)
def test_otpauth_uris(text):
    count("otpauth URI")
    refused_cleanly(parse_otpauth, "otpauth://totp/" + text, "fuzz", None, lambda _id: "named")
    refused_cleanly(parse_otpauth, text, "fuzz")


@given(ANY_TEXT)
def test_base32_seeds_account_ids_names_and_emails(text):
    count("base32 seed, account id, name, e-mail")
    for fn in (validate_seed, validate_account_id, validate_name, validate_email):
        refused_cleanly(fn, text)


@given(ANY_TEXT)
def test_the_stores_own_plaintext(text):
    count("seed store plaintext")
    refused_cleanly(parse_store, "Account #,Account Name,Account Email,MFA Seed,Device ARN,Algorithm,Digits,Period,"
                                 "Enrolled At,State\n" + text, "fuzz store")


@given(ANY_TEXT)
def test_times_and_anchors(text):
    count("time, journal anchor")
    refused_cleanly(parse_time, text)
    refused_cleanly(parse_anchor, text)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(ANY_TEXT, st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=20),
                                                    max_size=5).map(json.dumps)), max_size=8))
def test_journal_files(tmp_path, lines):
    count("journal records")
    path = tmp_path / "journal.jsonl"
    path.write_text("\n".join(lines) + "\n")
    (tmp_path / "journal.jsonl.head").unlink(missing_ok=True)
    journal = Journal(path)
    result = refused_cleanly(lambda: transaction.verify(journal))
    if result is not None and lines:
        assert not result.ok or all(not ln.strip() for ln in lines)


@given(ANY_TEXT)
def test_custody_plans(text):
    count("custody plan")
    refused_cleanly(parse_plan, text, "fuzz.toml")
    refused_cleanly(parse_plan, "[[site]]\nname = \"a\"\n" + text, "fuzz.toml")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(ANY_TEXT, st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_media_manifests(tmp_path, text):
    count("medium manifest")
    (tmp_path / "rootkeeper-manifest.json").write_bytes(text.encode("utf-8", "surrogatepass"))
    refused_cleanly(lambda: Manifest.read(tmp_path, required=True))


@given(ANY_TEXT)
def test_typed_lines_and_page_markers(text):
    count("typed lines, page marker")
    typed = refused_cleanly(L.parse_typed, text, "typed.txt")
    if typed is not None:
        for account, fields in typed.fields.items():
            refused_cleanly(L.typed_row_fields, account, fields)
    refused_cleanly(L.parse_marker, L.MARKER_PREFIX + " " + text, "scan")


@given(ANY_TEXT)
def test_key_share_files_and_identities(text):
    count("key shares, age identity")
    found = refused_cleanly(S.read_mnemonics, text, "shares.txt")
    if found:
        refused_cleanly(S.combine, found, b"", [], "shares.txt")
    refused_cleanly(S.identity_to_bytes, "AGE-SECRET-KEY-1" + text)


# ---------------------------------------------------------------- round trips
@given(st.lists(rows(), min_size=1, max_size=6, unique_by=lambda r: r.account_id))
def test_export_then_import_is_the_identity(batch):
    count("round trip: CSV export -> import")
    assume(len({r.seed for r in batch}) == len(batch))
    parsed = parse_import(to_csv(batch), "export.csv").rows
    assert [(r.account_id, r.account_name, r.email, r.seed, r.device_arn, r.algorithm, r.digits, r.period)
            for r in parsed] == [(r.account_id, r.account_name, r.email, r.seed, r.device_arn, r.algorithm, r.digits,
                                  r.period) for r in batch]


@given(rows())
def test_otpauth_export_then_import_is_the_identity(row):
    count("round trip: otpauth export -> import")
    assert parse_otpauth(to_otpauth(row), "x")[0] == row
    assert parse_otpauth(sheet_uri(row), "x")[0] == row


@given(st.lists(rows(), min_size=1, max_size=5, unique_by=lambda r: r.account_id))
def test_printed_lines_then_typed_back_is_the_identity(batch):
    count("round trip: seed sheet lines -> typed restore")
    text = "\n".join(line.typed() for row in batch for line in L.record_lines(row))
    text += "\n" + L.sheet_line(len(batch), L.checksum(batch))
    typed = L.parse_typed(text, "typed")
    back = [check_row(SeedRow(**L.typed_row_fields(a, f)), "t")[0] for a, f in typed.fields.items()]
    assert sorted(back, key=lambda r: r.account_id) == sorted(batch, key=lambda r: r.account_id)
    assert typed.checksum == L.checksum(back) and typed.count == len(batch)


@given(st.binary(min_size=32, max_size=32), st.integers(2, 5), st.integers(0, 3))
def test_identity_split_then_combined_is_the_identity(secret, threshold, extra):
    count("round trip: key shares split -> combine")
    identity = S.bytes_to_identity(secret)
    assert S.identity_to_bytes(identity) == secret
    split = S.split(identity, threshold, threshold + extra)
    assert S.combine(split.mnemonics[extra:extra + threshold], b"", [split.recipient], "s") == identity


@pytest.fixture(scope="module", autouse=True)
def report_examples():
    yield
    out = Path(__file__).with_name(".fuzz-examples.json")
    out.write_text(json.dumps(dict(EXAMPLES), indent=1) + "\n")
