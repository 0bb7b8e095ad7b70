"""Several seeds of one account, one per virtual MFA device of root: the rule that tells them apart, the store's
add (another device, a replacement of one device's seed), and the verdict over all of them (no AWS, no file)."""

from __future__ import annotations

import pytest

from rootkeeper.errors import CorruptError, ExistsError, InputError
from rootkeeper.org.audit import RootFacts, verdict
from rootkeeper.rules.devices import device_name, several_problem
from rootkeeper.stores.seeds import SeedRow, SeedStore

ACCOUNT = "111122223333"
A = f"arn:aws:iam::{ACCOUNT}:mfa/site-a"
B = f"arn:aws:iam::{ACCOUNT}:mfa/site-b"
KEY = f"arn:aws:iam::{ACCOUNT}:u2f/root/key-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def row(seed_letter: str, arn: str = "") -> SeedRow:
    return SeedRow(ACCOUNT, "payments", "aws+payments@example.com", seed_letter * 32, arn)


@pytest.fixture
def store(tmp_path):
    return SeedStore.new(tmp_path / "s.age", passphrase="correct horse battery staple")


@pytest.mark.parametrize(("arns", "why"), [
    ([A, B], None),
    ([A, ""], "names no device ARN"),
    ([A, A], "one device ARN"),
    ([f"arn:aws:iam::{ACCOUNT}:mfa/d{i}" for i in range(9)], "at most 8"),
])
def test_several_seeds_of_one_account_each_name_their_own_device(arns, why):
    problem = several_problem(arns)
    assert (problem is None) if why is None else (why in problem)


def test_a_device_is_named_by_what_was_typed_in_the_console():
    assert device_name(B) == "site-b" and device_name("") == ""


def test_another_device_is_kept_beside_and_a_replacement_replaces_only_its_own_devices_seed(store):
    store.add(row("A", A))
    with pytest.raises(ExistsError) as refused:
        store.add(row("B", B), another_option="--another-device")
    assert "--another-device" in refused.value.message  # a second device is asked for, never guessed
    store.add(row("B", B), another=True)
    assert [r.device_arn for r in store.seeds_of(ACCOUNT)] == [A, B]
    store.add(row("C", B), replace_existing=True)  # a new seed of device B replaces B's, never A's
    assert [(r.device_arn, r.seed[0]) for r in store.seeds_of(ACCOUNT)] == [(A, "A"), (B, "C")]
    assert [r.state for r in store.rows] == ["active", "replaced", "active"]
    with pytest.raises(InputError) as unnamed:
        store.add(row("D"), replace_existing=True)  # two seeds: which one a seed without a device replaces is unknown
    assert "device ARN of the seed it replaces" in unnamed.value.message
    assert store.find(ACCOUNT, "site-b").seed[0] == "C" and store.find(ACCOUNT).seed[0] == "A"


def test_a_second_seed_is_refused_while_the_first_names_no_device(store):
    store.add(row("A"))
    with pytest.raises(InputError) as refused:
        store.add(row("B", B), another=True)
    assert "record the device of the seed kept first" in refused.value.message


def test_a_store_whose_two_active_seeds_of_an_account_cannot_be_told_apart_is_damaged(store):
    store.rows = [row("A", A), row("B", A)]
    with pytest.raises(CorruptError):
        store._reindex()


def facts(*mfa: str) -> RootFacts:
    return RootFacts(password=True, mfa_enabled=True, mfa=list(mfa), access_keys_present=False,
                     certificates_present=False)


@pytest.mark.parametrize(("aws", "seeds", "proven", "expected"), [
    ((A, B), [A, B], [True, True], ("CUSTODIED", [])),
    ((A, B), [A, B], [True, False], ("SEED_UNPROVEN", ["SEED_UNPROVEN"])),  # each seed proven on its own
    ((A,), [A, B], [True, True], ("SEED_MISMATCH", ["SEED_MISMATCH"])),  # custody keeps a seed AWS no longer has
    ((A, B), [A], [True], ("DEVICE_UNKNOWN", ["DEVICE_UNKNOWN"])),  # the second device's seed is kept nowhere
    ((A, B, KEY), [A, B], [True, True], ("DEVICE_UNKNOWN", ["DEVICE_UNKNOWN"])),
])
def test_every_seed_of_an_account_is_joined_with_what_aws_reports(aws, seeds, proven, expected):
    assert verdict(facts(*aws), True, seeds, proven) == expected
