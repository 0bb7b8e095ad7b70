"""The custody plan against the real stores (pure rules): the keys the plan places are the keys that open
the seed store, and the plan opens the stores the way they are opened."""

from __future__ import annotations

import pytest

from rootkeeper.custody.layout import WRITE_UP_PLAN
from rootkeeper.custody.plan import parse_plan
from rootkeeper.custody.stores import StoreFacts, compare
from rootkeeper.errors import InputError
from rootkeeper.stores.seeds.store import generate_identity

ALICE, BOB, SHARED, STRANGER = (generate_identity()[1] for _ in range(4))

IDENTITIES = WRITE_UP_PLAN.replace('seeds_key = "passphrase"', f'seeds_key = "identity"\nshares_threshold = 2\n'
                                   f'shares_recipient = "{SHARED}"') + f'''
[[medium]]
name = "alice-laptop"
kind = "device"
holder = "bob"
carries = ["seeds-identity"]
recipient = "{ALICE}"

[[medium]]
name = "usb-identity"
kind = "usb"
place = "bank-box-b"
carries = ["seeds-identity"]
recipient = "{BOB}"
'''


def facts(recipients, *, passphrase=False, pin_checked=True, vault_key_file=False) -> StoreFacts:
    return StoreFacts("seeds.age", passphrase, list(recipients), pin_checked, vault_key_file)


def rules(findings) -> list[tuple[str, str]]:
    return [(f.rule, f.subject) for f in findings]


def test_a_plan_that_places_every_recipient_of_the_store_matches_it():
    assert compare(parse_plan(IDENTITIES, "p"), facts([ALICE, BOB, SHARED])) == []


def test_a_recipient_the_plan_places_nowhere_is_a_finding_naming_the_key_and_its_fix():
    findings = compare(parse_plan(IDENTITIES, "p"), facts([ALICE, BOB, SHARED, STRANGER]))
    assert rules(findings) == [("key-unplaced", "seed store")]
    assert STRANGER in findings[0].message and f"seeds recipients remove {STRANGER}" in findings[0].message


def test_a_key_the_plan_counts_on_that_the_store_is_not_encrypted_to_is_a_finding():
    findings = compare(parse_plan(IDENTITIES, "p"), facts([ALICE, SHARED]))
    assert rules(findings) == [("key-not-recipient", "seed store")]
    assert findings[0].media == ["usb-identity"] and f"seeds recipients add {BOB}" in findings[0].message


def test_an_identity_without_its_public_key_and_shares_without_theirs_cannot_be_tied_to_the_store():
    text = IDENTITIES.replace(f'recipient = "{BOB}"\n', "").replace(f'shares_recipient = "{SHARED}"', "")
    findings = compare(parse_plan(text, "p"), facts([ALICE]))
    assert rules(findings) == [("key-unplaced", "medium usb-identity"), ("key-unplaced", "key shares")]


def test_the_plan_must_open_the_stores_as_they_are_opened():
    passphrase_plan = parse_plan(WRITE_UP_PLAN, "p")
    assert rules(compare(passphrase_plan, facts([ALICE]))) == [("key-kind", "seed store")]
    assert compare(passphrase_plan, facts([], passphrase=True)) == []
    assert rules(compare(passphrase_plan, facts([], passphrase=True, vault_key_file=True))) == [("key-kind", "vault")]
    assert compare(passphrase_plan, facts([], passphrase=True, vault_key_file=None)) == []  # no vault here


def test_a_store_whose_pin_is_not_the_configured_recipients_is_a_finding_not_a_comparison():
    findings = compare(parse_plan(IDENTITIES, "p"), facts([ALICE, BOB, SHARED], pin_checked=False))
    assert rules(findings) == [("key-unplaced", "seed store")] and "pin differs" in findings[0].message


def test_a_recipient_in_the_plan_is_an_age_public_key_never_a_secret_one():
    with pytest.raises(InputError, match="recipient"):
        parse_plan(IDENTITIES.replace(f'recipient = "{BOB}"', 'recipient = "age1notakey"'), "p")
    with pytest.raises(InputError, match="SECRET"):
        parse_plan(IDENTITIES.replace(f'recipient = "{BOB}"', f'recipient = "{generate_identity()[0]}"'), "p")
    with pytest.raises(InputError, match="carries no seeds-identity"):
        parse_plan(IDENTITIES.replace('carries = ["seeds-identity"]\nrecipient', 'carries = ["seeds"]\nrecipient', 1), "p")
