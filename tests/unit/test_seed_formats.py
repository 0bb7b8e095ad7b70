"""The seed parsers and validators, against hand-written inputs and RFC 4648 (no files, no CLI)."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from rootkeeper.errors import CorruptError, InputError, SegregationError
from rootkeeper.stores.seeds import SeedRow, parse_import, to_csv, to_otpauth, validate_seed
from rootkeeper.stores.seeds.formats import parse_otpauth

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32 of b"Hello!\xde\xad\xbe\xef" twice
HEADER = "Account #,Account Name,Account Email,MFA Seed"


def test_seed_normalised_is_the_rfc4648_encoding_of_the_same_bytes():
    raw = "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"
    seed, warnings = validate_seed(raw)
    assert seed == SEED and warnings == []
    assert base64.b32decode(seed) == b"Hello!\xde\xad\xbe\xef" * 2
    padded = base64.b32encode(bytes(range(16))).decode()  # 26 characters and 6 '='
    seed, _ = validate_seed(padded.lower())
    assert "=" not in seed and base64.b32decode(seed + "=" * (-len(seed) % 8)) == bytes(range(16))


@pytest.mark.parametrize(("raw", "says"), [
    ("", "empty"),
    ("JBSWY3DPEHPK3PX0", "'0' at position 16"),
    ("JBSWY3DPEHPK3PXPJ", "17 characters"),
    ("JBSWY3DPEH", "holds 48 bits"),
])
def test_bad_seeds_say_what_is_wrong(raw, says):
    with pytest.raises(InputError) as caught:
        validate_seed(raw)
    assert says in caught.value.message


def test_short_seed_warns():
    _seed, warnings = validate_seed("JBSWY3DPEHPK3PXP")  # 80 bits: accepted, below 128
    assert warnings and "80 bits" in warnings[0]


def test_csv_any_case_header_bom_and_extra_columns():
    text = "\ufeffaccount #,ACCOUNT NAME,Account Email,MFA Seed,Notes\n012345678901,prod,p@example.com,jbswy3dpehpk3pxp,x\n"
    (row,) = parse_import(text, "in.csv").rows
    assert (row.account_id, row.account_name, row.email, row.seed) == ("012345678901", "prod", "p@example.com",
                                                                       "JBSWY3DPEHPK3PXP")
    assert (row.algorithm, row.digits, row.period, row.state) == ("SHA1", 6, 30, "active")


def test_csv_email_from_the_template():
    (row,) = parse_import(f"{HEADER}\n012345678901,prod,,{SEED}\n", "in.csv", "aws+{name}-{id}@example.com").rows
    assert row.email == "aws+prod-012345678901@example.com"


@pytest.mark.parametrize(("line", "says"), [
    (f"12345678901,prod,p@example.com,{SEED}", "perhaps 012345678901"),
    (f"1.23457E+11,prod,p@example.com,{SEED}", "spreadsheet"),
    (f"012345678901,=HYPERLINK(1),p@example.com,{SEED}", "formula"),
    (f"012345678901,prod,not-an-email,{SEED}", "not a valid address"),
    ("012345678901,prod,p@example.com", "at least 4"),
])
def test_csv_bad_rows_name_the_line(line, says):
    with pytest.raises(InputError) as caught:
        parse_import(f"{HEADER}\n{line}\n", "in.csv")
    assert "in.csv line 2" in caught.value.message and says in caught.value.message


def test_csv_without_the_header_or_with_a_password_column():
    with pytest.raises(InputError, match="expected header"):
        parse_import(f"012345678901,prod,p@example.com,{SEED}\n", "in.csv")
    with pytest.raises(SegregationError, match="Root Password"):
        parse_import(f"{HEADER},Root Password\n012345678901,prod,p@example.com,{SEED},hunter2\n", "in.csv")


def test_duplicates_refused():
    other = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE4TT"
    with pytest.raises(InputError, match="appears twice"):
        parse_import(f"{HEADER}\n012345678901,a,a@example.com,{SEED}\n012345678901,b,b@example.com,{other}\n", "x")
    with pytest.raises(InputError, match="same seed"):
        parse_import(f"{HEADER}\n012345678901,a,a@example.com,{SEED}\n112345678901,b,b@example.com,{SEED}\n", "x")


def test_pipe_table_of_the_write_up():
    table = ("| Account # | Account Name | Account Email | MFA Seed | ------------------------------\n"
             f"012345678901 | lz_log_archive | security+lz_log_archive@mydomain.com | {SEED}\n"
             "|---|---|---|---|\n"
             f"| 112345678901 | lz_security | security+lz_security@mydomain.com | {SEED.lower()[:16]} |\n")
    rows = parse_import(table, "table.md").rows
    assert [(r.account_id, r.account_name) for r in rows] == [("012345678901", "lz_log_archive"),
                                                              ("112345678901", "lz_security")]
    assert rows[1].seed == SEED[:16]


def test_otpauth_forms():
    uris = [
        f"otpauth://totp/AWS%20root:prod%20(012345678901)?secret={SEED}&issuer=AWS%20root%20012345678901",
        f"otpauth://totp/ops:sandbox?secret={SEED[:16]}&account_id=112345678901&digits=8&algorithm=SHA256&period=60",
    ]
    rows = parse_import("\n".join(uris) + "\n", "uris.txt", "aws+{name}@example.com").rows
    assert [(r.account_id, r.account_name, r.email, r.digits, r.algorithm, r.period) for r in rows] == [
        ("012345678901", "prod", "aws+prod@example.com", 6, "SHA1", 30),
        ("112345678901", "sandbox", "aws+sandbox@example.com", 8, "SHA256", 60)]


@pytest.mark.parametrize(("uri", "says"), [
    (f"otpauth://hotp/x?secret={SEED}&account_id=012345678901", "only totp"),
    ("otpauth://totp/prod%20(012345678901)?issuer=x", "no secret"),
    (f"otpauth://totp/prod?secret={SEED}", "no 12-digit account id"),
])
def test_otpauth_refusals(uri, says):
    with pytest.raises(InputError, match=says):
        parse_otpauth(uri, "line 1")


def test_otpauth_output_is_a_standard_uri():
    row = SeedRow("012345678901", "prod", "p@example.com", SEED, "arn:aws:iam::012345678901:mfa/root-mfa")
    parts = urllib.parse.urlsplit(to_otpauth(row))
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert query["secret"] == SEED and query.get("digits", "6") == "6" and query.get("period", "30") == "30"
    # AWS's label and issuer, so an authenticator app lists it as AWS lists its own (first-hour item 9).
    assert urllib.parse.unquote(parts.path) == "/Amazon Web Services:root-mfa@012345678901"
    assert query["issuer"] == "Amazon Web Services"
    assert parse_otpauth(to_otpauth(row), "x")[0] == row  # and it imports back to the same row


def test_aws_own_otpauth_form_imports_with_the_name_from_elsewhere():
    uri = (f"otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device@222233334444?secret={SEED}"
           "&issuer=Amazon%20Web%20Services")
    with pytest.raises(InputError, match="--names"):
        parse_otpauth(uri, "x")
    row, _ = parse_otpauth(uri, "x", "aws+{name}@example.com", {"222233334444": "payments"}.get)
    assert (row.account_id, row.account_name, row.email) == ("222233334444", "payments", "aws+payments@example.com")
    assert row.device_arn == "arn:aws:iam::222233334444:mfa/root-account-mfa-device"
    bare = f"otpauth://totp/root-account-mfa-device@222233334444?secret={SEED}"  # the API's QR code form
    assert parse_otpauth(bare, "x", "a+{id}@example.com", {"222233334444": "payments"}.get)[0].account_name == "payments"


def test_store_csv_header_is_the_documented_one():
    assert to_csv([]) == HEADER + ",Device ARN,Algorithm,Digits,Period,Enrolled At,State,Proven At,Proven By\n"


@pytest.mark.parametrize("column", ["Account Email", "Device ARN", "Algorithm", "Enrolled At", "State"])
def test_a_password_in_a_shaped_column_is_not_echoed(column):
    """Trust issue item 9: a password pasted into a column with a known shape is described, not printed."""
    password = "Summer2024secret"
    cells = {"Account #": "111122223333", "Account Name": "a", "Account Email": "a@example.com",
             "MFA Seed": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", column: password}
    text = ",".join(cells) + "\n" + ",".join(cells.values()) + "\n"
    with pytest.raises(InputError) as caught:
        parse_import(text, "team.csv")
    assert password not in caught.value.message and "not shown" in caught.value.message


def test_the_stores_header_names_its_journal_whatever_the_journals_path_holds():
    """The journal's mark is a header cell of the store's own plaintext, before the recipients' pin: a path
    with a comma, a space, a newline or the word 'password' in it is neither a broken header nor a password
    column."""
    from rootkeeper.storage.journal import Mark
    from rootkeeper.stores.seeds.formats import parse_store, store_marks

    row = SeedRow("123456789012", "prod", "p@example.com", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    mark = Mark("a" * 64, 7, "b" * 64, "/srv/team, shared/passwords\nold/rootkeeper-journal.jsonl")
    text = to_csv([row], "c" * 32, mark)
    assert text.count("\n") == 2 and text.splitlines()[0].endswith(f",{mark.text()},Recipients sha256:{'c' * 32}")
    assert store_marks(text, "store") == ("c" * 32, mark)
    assert [r.account_id for r in parse_store(text, "store")[0]] == ["123456789012"]
    with pytest.raises(CorruptError, match="journal"):
        store_marks(text.replace(" 7 ", " seven ", 1), "store")
