"""The journal: every retrieval is recorded, and any edit, removal, reordering or cut is noticed."""

from __future__ import annotations

import json
import re

import pytest
from conftest import assert_clean_failure, random_seed


@pytest.fixture
def journaled(home):
    seed = random_seed()
    home.rk("enroll", "123456789012", "--name", "prod", "--seed-file", "-", input=seed, check=True)
    home.rk("code", "prod", "--reason", "close the account (CHG-1)", check=True)
    home.rk("password", "prod", "--reason", "close the account (CHG-1)", "--show", check=True)
    home.rk("rotate", "prod", "--reason", "test", check=True)
    home.seed = seed
    return home


def lines(home):
    return home.journal.read_text().splitlines()


def test_every_action_is_recorded_without_secrets(journaled):
    records = [json.loads(line) for line in lines(journaled)]
    assert [r["event"] for r in records] == ["enroll.password", "enroll.mfa", "code", "password.show", "rotate"]
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[2]["reason"] == "close the account (CHG-1)"
    text = journaled.journal.read_text()
    password = journaled.rk("password", "prod", "--reason", "check", "--show", check=True).out.strip()
    assert journaled.seed not in text and password not in journaled.journal.read_text()
    assert journaled.rk("journal", "verify", check=True).out.startswith("ok: 6 records")


def test_show_lists_records(journaled):
    out = journaled.rk("journal", "show", check=True).out
    assert "password.show" in out and "CHG-1" in out


def check_fails(home, contains):
    result = home.rk("journal", "verify")
    assert result.returncode == 1, result.err
    assert contains in result.err
    assert "Traceback" not in result.err


def test_edited_record(journaled):
    content = lines(journaled)
    content[2] = content[2].replace("CHG-1", "CHG-2")
    journaled.journal.write_text("\n".join(content) + "\n")
    check_fails(journaled, "edited")


def test_removed_record(journaled):
    content = lines(journaled)
    del content[2]
    journaled.journal.write_text("\n".join(content) + "\n")
    check_fails(journaled, "removed")


def test_reordered_records(journaled):
    content = lines(journaled)
    content[1], content[2] = content[2], content[1]
    journaled.journal.write_text("\n".join(content) + "\n")
    check_fails(journaled, "reordered")


def test_last_record_cut_off(journaled):
    journaled.journal.write_text("\n".join(lines(journaled)[:-1]) + "\n")
    check_fails(journaled, "removed from the end")


def test_edited_last_record(journaled):
    content = lines(journaled)
    content[-1] = content[-1].replace('"rotate"', '"rotatE"')
    journaled.journal.write_text("\n".join(content) + "\n")
    check_fails(journaled, "edited")


def test_anchor_catches_a_consistent_rewrite(journaled):
    """Someone who rewrites the journal *and* its head is caught by a hash noted elsewhere."""
    result = journaled.rk("code", "prod", "--reason", "incident INC-7", check=True)
    anchor = re.search(r"journal: record (\d+) sha256:([0-9a-f]{64})", result.err)
    assert anchor
    # Cut the journal back to 3 records and write a matching head: the chain alone looks fine.
    kept = lines(journaled)[:3]
    journaled.journal.write_text("\n".join(kept) + "\n")
    last = json.loads(kept[-1])
    journaled.journal.with_name(journaled.journal.name + ".head").write_text(f"{last['seq']} {last['hash']}\n")
    assert journaled.rk("journal", "verify", creds=False).returncode == 0  # (the stores not opened: no secret)
    result = journaled.rk("journal", "verify", "--anchor", f"{anchor.group(1)}:{anchor.group(2)}", creds=False)
    assert result.returncode == 1 and "anchor" in result.err
    # The stores name the last record their last write saw: opened, they catch the cut without an anchor.
    result = journaled.rk("journal", "verify")
    assert result.returncode == 1 and "lacks record" in result.err, result.err


def test_bad_anchor_syntax(journaled):
    assert_clean_failure(journaled.rk("journal", "verify", "--anchor", "nonsense"), 2, "N:HASH")


def test_garbage_line(journaled):
    journaled.journal.write_text(journaled.journal.read_text() + "not json\n")
    check_fails(journaled, "not a journal record")


def test_damaged_journal_blocks_changes_before_any_store_is_written(journaled):
    from conftest import snapshot

    journaled.journal.write_text(journaled.journal.read_text() + "{damaged\n")
    before = snapshot(journaled.root)
    assert_clean_failure(journaled.rk("rotate", "prod", "--reason", "test"), 2, "does not verify")
    assert_clean_failure(journaled.rk("enroll", "000000000009", "--name", "nine", "--seed-file", "-",
                                      input=random_seed()), 2, "does not verify")
    assert snapshot(journaled.root) == before


def test_changes_to_custody_and_bulk_reveals_record_their_reason(journaled):
    """One rule: a retrieval needs a reason, and every change to custody or bulk reveal records the reason
    given (asked for on a terminal; a script may leave it out, as the contract's command lines do)."""
    import pyrage

    journaled.rk("seeds", "export", "--reason", "escrow copy (CHG-9)", check=True)
    other = str(pyrage.x25519.Identity.generate().to_public())
    journaled.rk("seeds", "recipients", "add", other, "--reason", "new custodian (CHG-10)", check=True)
    journaled.rk("seeds", "recipients", "remove", other, "--yes", "--reason", "custodian left (CHG-11)", check=True)
    journaled.rk("retire", "prod", "--yes", "--reason", "account closed (CHG-12)", check=True)
    journaled.rk("seeds", "export", check=True)  # no reason: the command line as the contract gives it
    records = [json.loads(line) for line in lines(journaled)]
    said = [(r["event"], r.get("reason")) for r in records[-5:]]
    assert said == [("seeds.export", "escrow copy (CHG-9)"), ("seeds.recipients", "new custodian (CHG-10)"),
                    ("seeds.recipients", "custodian left (CHG-11)"), ("retire", "account closed (CHG-12)"),
                    ("seeds.export", None)], said
