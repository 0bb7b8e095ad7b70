"""The custody plan's rules: each broken by a plan of its own, with the finding's chain asserted; the
write-up's layout passes; a bad plan is one error naming its line."""

from __future__ import annotations

import pytest

from rootkeeper.custody.check import RULES, check
from rootkeeper.custody.layout import WRITE_UP_PLAN
from rootkeeper.custody.plan import parse_plan
from rootkeeper.errors import InputError


def plan(text: str = WRITE_UP_PLAN):
    return parse_plan(text, "plan.toml")


def edited(old: str, new: str, text: str = WRITE_UP_PLAN, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def only(findings, rule):
    found = [f for f in findings if f.rule == rule]
    assert found, [f.message for f in findings]
    return found


def test_the_write_ups_layout_passes():
    assert check(plan()) == []


def test_one_medium_that_gives_both_is_a_finding():
    text = WRITE_UP_PLAN + '''
[[medium]]
name = "binder"
kind = "paper"
place = "server-room"
carries = ["vault", "emergency-sheet", "seed-sheet"]
'''
    finding = only(check(plan(text)), "one-medium-both")[0]
    assert finding.message == ("medium binder: vault on binder at server-room + master password written on the "
                               "emergency sheet on binder at server-room + seed sheet on binder at server-room")


def test_one_place_that_gives_both_is_a_finding():
    text = edited('name = "paper-seeds-1"\nkind = "paper"\nlabel = "seed sheet"\nplace = "office-safe-b"',
                  'name = "paper-seeds-1"\nkind = "paper"\nlabel = "seed sheet"\nplace = "office-safe-a"')
    finding = only(check(plan(text)), "one-place-both")[0]
    assert finding.subject == "place office-safe-a"
    assert finding.chain == ["vault on usb-vault-1 at office-safe-a",
                             "master password written on the emergency sheet on paper-vault-1 at office-safe-a",
                             "seed sheet on paper-seeds-1 at office-safe-a"]


def test_one_custodian_who_reaches_both_is_a_finding():
    text = edited('reaches = ["share", "office-safe-a", "bank-box-a"]', 'reaches = ["share", "office-safe-a", "bank-box-a", "usb-seeds-2"]')
    text = edited('knows = ["vault-password"]', 'knows = ["vault-password", "seeds-passphrase"]', text)
    finding = only(check(plan(text)), "one-custodian-both")[0]
    assert finding.message == ("custodian alice: vault on share at server-room + alice knows the vault master password "
                               "+ seed store on usb-seeds-2 at bank-box-b + alice knows the seed-store passphrase")
    assert finding.custodian == "alice" and finding.media == ["share", "usb-seeds-2"]


def test_sites_kept_apart_make_a_site_with_both_a_finding():
    findings = check(plan(edited("keep_sites_apart = false", "keep_sites_apart = true")))
    assert {f.subject for f in only(findings, "one-site-both")} == {"site office", "site offsite"}


def test_losing_one_site_must_leave_both_recoverable():
    text = edited('place = "bank-box-b"\ncarries = ["seeds"]', 'place = "office-safe-b"\ncarries = ["seeds"]')
    text = edited('place = "bank-box-b"\ncarries = ["seed-sheet"]', 'place = "office-safe-b"\ncarries = ["seed-sheet"]', text)
    finding = only(check(plan(text)), "site-loss")[0]
    assert finding.subject == "site office" and "leaves the seeds unrecoverable" in finding.message
    assert "seed store on usb-seeds-2 at office-safe-b" in finding.chain


def test_a_plan_that_cannot_recover_at_all_says_what_is_needed():
    text = edited('knows = ["seeds-passphrase"]', "knows = []", count=2)
    text = edited('carries = ["seed-sheet"]', "carries = []", text, count=2)
    finding = only(check(plan(text)), "unrecoverable")[0]
    assert finding.subject == "seeds" and "a seed-store copy and the passphrase" in finding.message


def test_every_artefact_needs_an_off_site_copy():
    text = edited('name = "bank-box-b"\nsite = "offsite"\noffsite = true', 'name = "bank-box-b"\nsite = "offsite"\noffsite = false')
    findings = only(check(plan(text)), "no-offsite-copy")
    assert {f.subject for f in findings} == {"seeds", "seed-sheet"}
    assert "only usb-seeds-1 at office-safe-b, usb-seeds-2 at bank-box-b" in [f for f in findings if f.subject == "seeds"][0].message


def test_fewer_copies_than_the_policy_asks_is_a_finding():
    finding = only(check(plan(edited("vault = 2,", "vault = 4,"))), "too-few-copies")[0]
    assert finding.message == "vault has 3 copies, the policy asks for 4: share, usb-vault-1, usb-vault-2"


SHARES = WRITE_UP_PLAN.replace('seeds_key = "passphrase"', 'seeds_key = "identity"\nshares_threshold = 2') + '''
[[medium]]
name = "share-1"
kind = "paper"
place = "office-safe-b"
carries = ["key-share:1"]

[[medium]]
name = "share-2"
kind = "paper"
place = "bank-box-b"
carries = ["key-share:2"]
'''


def test_under_the_two_person_rule_no_one_alone_reaches_the_share_threshold():
    findings = check(plan(SHARES))
    finding = only(findings, "two-person")[0]
    assert finding.subject == "custodian bob"
    assert finding.chain == ["key share 1 on share-1 at office-safe-b", "key share 2 on share-2 at bank-box-b"]
    relaxed = check(plan(SHARES.replace("two_person_rule = true", "two_person_rule = false")))
    assert not [f for f in relaxed if f.rule == "two-person"]


def test_copies_of_one_share_are_one_share():
    text = SHARES.replace('carries = ["key-share:2"]', 'carries = ["key-share:1"]')
    assert not [f for f in check(plan(text)) if f.rule == "two-person"]  # bob reaches share 1 twice: one share


def test_a_key_share_without_its_number_is_refused():
    with pytest.raises(InputError, match="key-share:K"):
        plan(SHARES.replace('carries = ["key-share:2"]', 'carries = ["key-share"]'))


def test_under_the_two_person_rule_no_one_alone_reaches_the_identity_the_shares_split():
    """The README's plan with the identity added to a seed USB: the custodian of that safe decrypts alone."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("\n## Custody\n", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    with_identity = example.replace('carries = ["seeds", "key-share:1"]', 'carries = ["seeds", "key-share:1", "seeds-identity"]')
    assert with_identity != example
    findings = [f for f in check(parse_plan(with_identity, "README")) if f.rule == "two-person"]
    assert findings and all("identity" in f.message for f in findings)


def test_a_place_that_needs_two_keyholders_is_not_one_custodians_alone():
    """A dual-control safe holding both sides: no single custodian reaches it alone (not one-custodian-both), the
    place itself still is one-place-both, and a safe fewer custodians reach than it needs is unreached."""
    text = edited('name = "office-safe-b"     # the seed side\nsite = "office"',
                  'name = "office-safe-b"     # the seed side\nsite = "office"\nkeyholders = 2')
    text = edited('reaches = ["share", "office-safe-a", "bank-box-a"]', 'reaches = ["share", "office-safe-a", "bank-box-a", '
                  '"office-safe-b"]', text)
    text = edited('knows = ["vault-password"]', 'knows = ["vault-password", "seeds-passphrase"]', text)
    findings = check(plan(text))
    assert not [f for f in findings if f.rule == "one-custodian-both"], [f.message for f in findings]
    alone = check(plan(text.replace('keyholders = 2', 'keyholders = 1')))
    assert only(alone, "one-custodian-both")[0].subject == "custodian alice"
    three = check(plan(text.replace('keyholders = 2', 'keyholders = 3')))  # alice, bob and dave reach it: enough
    assert not [f for f in three if f.rule == "unreached"]
    four = check(plan(text.replace('keyholders = 2', 'keyholders = 4')))
    assert only(four, "unreached")[0].message.startswith("place office-safe-b opens only with 4 keyholders together, "
                                                         "and 3 custodian(s) reach it (alice, bob, dave)")


def test_a_persons_device_holding_the_identity_goes_with_its_holder():
    """A laptop or a hardware key holding the seed store's identity: its holder alone reaches it (the two-person
    rule), it is at no place (a site's loss leaves it), and it needs a holder, never a place."""
    text = SHARES + '''
[[medium]]
name = "dave-laptop"
kind = "device"
holder = "dave"
carries = ["seeds-identity"]
'''
    finding = [f for f in only(check(plan(text)), "two-person") if f.subject == "custodian dave"][0]
    assert finding.chain == ["seed-store identity on dave-laptop"]
    with pytest.raises(InputError, match="needs holder"):
        plan(text.replace('holder = "dave"', 'place = "office-safe-b"'))
    with pytest.raises(InputError, match="device 'dave-laptop' can carry"):
        plan(text.replace('carries = ["seeds-identity"]', 'carries = ["seed-sheet"]'))


def test_every_rule_has_a_test_above():
    tested = {"one-medium-both", "one-place-both", "one-custodian-both", "one-site-both", "unrecoverable", "site-loss",
              "no-offsite-copy", "too-few-copies", "two-person", "unreached"}
    stores = {"key-unplaced", "key-not-recipient", "key-kind"}  # tests/unit/test_custody_stores.py
    assert tested | stores == set(RULES)


@pytest.mark.parametrize(("old", "new", "marker", "words"), [
    ('place = "office-safe-b"\ncarries = ["seeds"]', 'place = "office-safe-c"\ncarries = ["seeds"]', '"office-safe-c"',
     "office-safe-c"),
    ('place = "server-room"\ncarries = ["vault"]', 'place = ["server-room", "office-safe-a"]\ncarries = ["vault"]',
     'place = ["server-room"', "at 2 places"),
    ('reaches = ["office-safe-b"]', 'reaches = ["office-safe-b", "usb-9"]', '"usb-9"', "usb-9"),
    ('name = "usb-vault-2"', 'name = "usb-vault-1" # again', "# again", "defined twice"),
    ('knows = ["seeds-passphrase"]', 'knows = ["seed-phrase"]', '"seed-phrase"', "seed-phrase"),
    ('kind = "usb"', 'kind = "floppy"', '"floppy"', "floppy"),
    ('[[custodian]]\nname = "dave"', '[[custodian]]\nname = "dave"\ncolour = "red"', "colour", "colour"),
    ('offsite = true\n\n[[place]]', 'offsite = yes\n\n[[place]]', "= yes", "not valid TOML"),
])
def test_a_bad_plan_is_one_error_naming_its_line(old, new, marker, words):
    text = edited(old, new)
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if marker in ln)
    with pytest.raises(InputError) as err:
        plan(text)
    assert str(err.value).startswith(f"plan.toml line {line}: ") and words in str(err.value), str(err.value)


def test_the_readmes_full_example_plan_parses_and_passes():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n## Custody\n", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    parsed = parse_plan(example, "README")
    assert check(parsed) == []
    used = {m.kind for m in parsed.media.values()} | {a for m in parsed.media.values() for a in m.carries}
    assert {"usb", "paper", "memory", "vault", "vault-key", "seeds", "key-share:1", "seed-sheet", "vault-password"} <= used


KEY = '''
[[medium]]
name = "yubikey-1"
kind = "security-key"
label = "YubiKey 5C, serial 23456789"
place = "office-safe-b"
devices = { "111122223333" = "arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP" }
'''


def test_a_security_key_is_a_seed_side_factor_in_every_rule():
    """A FIDO key passes root's MFA by itself: at the password side's place, or carried by a custodian who knows
    the vault password, it is one place or one person holding both factors; one key has no off-site copy."""
    assert [f.rule for f in check(plan(WRITE_UP_PLAN + KEY))] == ["no-offsite-copy"]  # at the seed side: fine
    (finding,) = only(check(plan(WRITE_UP_PLAN + KEY.replace("office-safe-b", "office-safe-a"))), "one-place-both")
    assert finding.subject == "place office-safe-a" and "security-key yubikey-1 at office-safe-a" in finding.chain[-1]
    carried = KEY.replace('place = "office-safe-b"', 'holder = "alice"')
    findings = check(plan(WRITE_UP_PLAN + carried))
    assert [f.subject for f in only(findings, "one-custodian-both")] == ["custodian alice"]
    (offsite,) = only(findings, "no-offsite-copy")
    assert offsite.subject == "mfa-device" and "yubikey-1 with alice" in offsite.message
    assert plan(WRITE_UP_PLAN + KEY).mfa_devices() == {
        "111122223333": {"arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP": "yubikey-1"}}


@pytest.mark.parametrize("old, new, words", [
    ('"arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP"', '"arn:aws:iam::111122223333:mfa/phone"',
     "not a FIDO security key"),
    ('"arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP"',
     '"arn:aws:iam::999999999999:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP"', "belongs to account 999999999999"),
    ('devices = {', 'carries = ["seeds"]\ndevices = {', "carries nothing else"),
    ('place = "office-safe-b"', 'place = "office-safe-b"\nholder = "alice"', "not both"),
    ('devices = { "111122223333"', 'devices = { "1111"', "12-digit account id"),
    ('kind = "security-key"', 'kind = "hardware-token"', "hardware TOTP token's serial"),
])
def test_a_security_key_or_token_that_names_its_devices_wrongly_is_refused(old, new, words):
    with pytest.raises(InputError, match=words):
        plan(WRITE_UP_PLAN + KEY.replace(old, new))


def test_a_hardware_token_names_its_printed_serial():
    token = KEY.replace('kind = "security-key"', 'kind = "hardware-token"').replace(
        '"arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP"', '"GAKT12345678"')
    assert plan(WRITE_UP_PLAN + token).mfa_devices() == {"111122223333": {"GAKT12345678": "yubikey-1"}}
