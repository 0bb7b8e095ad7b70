"""The seed sheet's text rules: typed lines and their checks, markers, the checksum, the QR code's URI."""

from __future__ import annotations

import base64
import hashlib

import pytest

from rootkeeper.errors import InputError
from rootkeeper.paper import lines as L  # noqa: N812
from rootkeeper.paper.restore import Reading, check, read
from rootkeeper.paper.scan import Decoded
from rootkeeper.paper.seedsheet import sheet_uri
from rootkeeper.stores.seeds.formats import SeedRow, check_row, parse_otpauth

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def row(account="123456789012", name="prod payments", seed=SEED, device="", **kw) -> SeedRow:
    return check_row(SeedRow(account, name, "security+prod@example.com", seed, device, **kw), "test")[0]


def typed(r: SeedRow) -> str:
    return "\n".join(line.typed() for line in L.record_lines(r)) + "\n"


def test_the_check_is_the_documented_sha256_prefix():
    """README: first 15 bits of SHA-256 over 'rootkeeper-line/1 ID TAG VALUE', base32; seed lines canonical."""
    expected = base64.b32encode(hashlib.sha256(b"rootkeeper-line/1 123456789012 seed1/4 JBSWY3DPEHPK3PXP").digest())[:3]
    assert L.line_check("123456789012", "seed1/4", "jbsw y3dp EHPK 3pxp") == expected.decode()
    name = base64.b32encode(hashlib.sha256(b"rootkeeper-line/1 123456789012 name prod  payments").digest())[:3]
    assert L.line_check("123456789012", "name", "prod  payments") == name.decode()  # spacing counts outside seeds


def test_record_lines_group_the_seed_by_four_and_round_trip():
    r = row(device="arn:aws:iam::123456789012:mfa/rootkeeper-2026-11-28")
    lines = L.record_lines(r)
    assert [ln.tag for ln in lines] == ["name", "email", "device", "seed1/4", "seed2/4", "seed3/4", "seed4/4"]
    assert lines[3].value == "JBSW Y3DP EHPK 3PXP"
    assert lines[2].value == "rootkeeper-2026-11-28"
    back = L.parse_typed(typed(r), "typed")
    rebuilt = check_row(SeedRow(**L.typed_row_fields("123456789012", back.fields["123456789012"])), "x")[0]
    assert rebuilt == r


def test_unusual_totp_parameters_a_foreign_arn_and_a_short_seed_get_their_own_lines():
    r = row(seed=SEED[:32], device="arn:aws-us-gov:iam::123456789012:mfa/x", algorithm="SHA256", digits=8, period=60)
    lines = L.record_lines(r)
    assert [ln.tag for ln in lines] == ["name", "email", "device", "totp", "seed1/2", "seed2/2"]
    assert lines[2].value.startswith("arn:aws-us-gov:")
    rebuilt = check_row(SeedRow(**L.typed_row_fields(r.account_id, L.parse_typed(typed(r), "t").fields[r.account_id])),
                        "x")[0]
    assert rebuilt == r


@pytest.mark.parametrize("mutate", [
    lambda s: s.replace("JBSW Y3DP", "JBSW Y3DQ", 1),  # one character
    lambda s: s.replace("JBSW Y3DP", "JBWS Y3DP", 1),  # two swapped
    lambda s: s.replace("seed1/4", "seed2/4", 1),  # a line under another tag
    lambda s: s.replace("123456789012 seed1/4", "123456789013 seed1/4", 1),  # under another account
])
def test_a_wrong_line_fails_its_check_and_is_named(mutate):
    text = mutate(typed(row()))
    with pytest.raises(InputError) as err:
        L.parse_typed(text, "typed.txt")
    assert "typed.txt line 3:" in str(err.value) or "typed.txt line 4:" in str(err.value)
    assert "JBSW" not in str(err.value)


def test_typed_lines_say_what_is_missing_and_refuse_garbage_without_echoing_it():
    text = "\n".join(ln.typed() for ln in L.record_lines(row()) if ln.tag != "seed3/4")
    parsed = L.parse_typed(text, "t")
    with pytest.raises(InputError, match="lack seed3/4"):
        L.typed_row_fields("123456789012", parsed.fields["123456789012"])
    with pytest.raises(InputError, match="line 1 is not a typed line") as err:
        L.parse_typed(SEED + "\n", "t")
    assert SEED[:8] not in str(err.value)
    with pytest.raises(InputError, match="tags"):
        L.parse_typed(f"123456789012 {SEED[:16]} JBSW ABC\n", "t")
    with pytest.raises(InputError, match="sheet COUNT CHECKSUM"):
        L.parse_typed("sheet 12 ABCD\n", "t")
    assert L.parse_typed("sheet 12 ABCD EFGH IJKL MNOP\n", "t").checksum == "ABCDEFGHIJKLMNOP"


@pytest.mark.parametrize("count", ["³", "١٢", "１２"])  # digits of other scripts: not a count
def test_a_sheet_line_whose_count_is_not_ascii_digits_is_one_clear_error(count):
    with pytest.raises(InputError, match="sheet COUNT CHECKSUM"):
        L.parse_typed(f"sheet {count} ABCD EFGH IJKL MNOP\n", "t")


def test_the_checksum_ignores_order_and_sees_every_field():
    a, b = row(), row("210987654321", "dev", SEED[::-1])
    assert L.checksum([a, b]) == L.checksum([b, a])
    assert len(L.checksum([a])) == 16
    for changed in (row(name="prod payment"), row(seed=SEED[:-1] + "Q"), row(device="arn:aws:iam::123456789012:mfa/d")):
        assert L.checksum([changed, b]) != L.checksum([a, b])


def test_markers_round_trip_and_refuse_damage():
    marker = L.Marker(2, 3, 12, "ABCDEFGHIJKLMNOP", ("123456789012", "210987654321"))
    assert L.parse_marker(marker.text(), "p") == marker
    assert set(marker.text()) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR alphanumeric mode
    with pytest.raises(InputError, match="damaged"):
        L.parse_marker(marker.text().replace("2/3", "4/3"), "p")


def test_the_qr_uri_is_read_back_by_the_importer_and_shows_the_account_in_an_app():
    r = row(device="arn:aws:iam::123456789012:mfa/rootkeeper-2026-11-28")
    uri = sheet_uri(r)
    assert uri.startswith("otpauth://totp/Amazon%20Web%20Services:prod%20payments%20%28123456789012%29?")
    back, _ = parse_otpauth(uri, "qr")
    assert back == r
    for name in ("a:b", "ops@home", "x (111111111111)", "team 123456789012 prod"):  # names the label alone could misread
        odd = row(name=name)
        assert parse_otpauth(sheet_uri(odd), "qr")[0] == odd


def test_completeness_is_judged_by_the_sheets_count_and_checksum():
    rows = [row(), row("210987654321", "dev", SEED[::-1])]
    total = L.checksum(rows)
    marker = L.Marker(1, 2, 3, total, tuple(r.account_id for r in rows))
    decoded = [Decoded(sheet_uri(r), "scan.png") for r in rows] + [Decoded(marker.text(), "scan.png")]
    with pytest.raises(InputError, match="2 of its 3 records.*page 2 of 2"):
        check(read(decoded, None))
    marker = L.Marker(1, 1, 2, total, marker.accounts)
    assert check(read(decoded[:2] + [Decoded(marker.text(), "scan.png")], None)).complete
    wrong = L.Marker(1, 1, 2, "A" * 16, marker.accounts)
    with pytest.raises(InputError, match="do not match the sheet's checksum"):
        check(read(decoded[:2] + [Decoded(wrong.text(), "scan.png")], None))
    with pytest.raises(InputError, match="record count and checksum are unknown"):
        check(read(decoded[:2], None))
    assert isinstance(read([], None), Reading)


def test_the_readme_example_of_typed_lines_restores_its_record():
    """The README's typed-line example is a whole, valid sheet of one record: its checks and checksum hold."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = "# " + readme.split("# typed from the seed sheet", 1)[1].split("```", 1)[0]
    parsed = L.parse_typed(example, "README")
    fields = L.typed_row_fields("123456789012", parsed.fields["123456789012"])
    restored = check_row(SeedRow(**fields), "README")[0]
    assert restored.device_arn == "arn:aws:iam::123456789012:mfa/rootkeeper-2026-11-28"
    assert (parsed.count, parsed.checksum) == (1, L.checksum([restored]))
    assert "prints `MIR`" in readme and L.line_check("123456789012", "seed1/4", "JBSWY3DPEHPK3PXP") == "MIR"
