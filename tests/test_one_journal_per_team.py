"""One journal per team, run as a team runs it: two working directories, two copies of the configuration,
one set of stores. The stores name the journal they belong to and the last record their last write saw, so
a command run with another journal, an empty or a missing one refuses and says where theirs is; nothing
starts a second chain beside the stores."""

from __future__ import annotations

import json
import shutil

from conftest import assert_clean_failure, base_env, random_seed, run, snapshot


def enroll(home, account_id="111122223333", name="prod"):
    home.rk("enroll", account_id, "--name", name, "--seed-file", "-", input=random_seed(), check=True)


def test_a_second_operator_with_another_journal_is_refused_and_told_where_the_teams_is(home, tmp_path_factory):
    enroll(home)
    before = snapshot(home.root)
    # Bob copied the configuration into his own directory, the stores by absolute path, the journal left out.
    bob = tmp_path_factory.mktemp("bob")
    text = home.config.read_text()
    text = text.replace('path = "vault/', f'path = "{home.root}/vault/').replace('path = "seeds/', f'path = "{home.root}/seeds/')
    text = text.replace('path = "rootkeeper-journal.jsonl"', "")
    (bob / "rootkeeper.toml").write_text(text)
    result = run(["code", "prod", "--reason", "incident INC-9", *home.creds()], cwd=bob)
    assert_clean_failure(result, 2, f"belongs to the journal {home.journal}")
    assert "configuration: rootkeeper.toml (found in the working directory)" in result.err, result.err
    assert sorted(p.name for p in bob.iterdir()) == ["rootkeeper.toml"]  # no second chain
    # Carol, in a directory with no configuration, names the seed store by hand.
    carol = tmp_path_factory.mktemp("carol")
    result = run(["code", "prod", "--reason", "incident INC-9", "--seeds", home.seeds, *home.creds()], cwd=carol)
    assert_clean_failure(result, 2, "run where the team's rootkeeper.toml is")
    assert "configuration: none" in result.err and not list(carol.iterdir())
    assert snapshot(home.root) == before


def test_the_teams_configuration_is_found_in_the_users_configuration_directory(home, tmp_path_factory):
    enroll(home)
    config_home = tmp_path_factory.mktemp("xdg")
    (config_home / "rootkeeper").mkdir()
    shutil.copy(home.config, config_home / "rootkeeper" / "rootkeeper.toml")
    text = (config_home / "rootkeeper" / "rootkeeper.toml").read_text()
    for relative in ("vault/", "seeds/", "rootkeeper-journal.jsonl"):
        text = text.replace(f'"{relative}', f'"{home.root}/{relative}')
    (config_home / "rootkeeper" / "rootkeeper.toml").write_text(text)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    env = {**base_env(), "XDG_CONFIG_HOME": str(config_home)}
    result = run(["code", "prod", "--reason", "drill", *home.creds()], cwd=elsewhere, env=env)
    assert result.returncode == 0, result.err
    assert "found in your configuration directory" in result.err and f"journal: {home.journal}" in result.err
    assert "code" in home.journal.read_text().splitlines()[-1] and not list(elsewhere.iterdir())


def test_a_journal_deleted_with_its_head_is_found_by_the_next_command_and_by_verify(home, tmp_path_factory):
    enroll(home)
    enroll(home, "444455556666", "dev")
    saved = tmp_path_factory.mktemp("copy")
    for name in (home.journal.name, home.journal.name + ".head"):
        shutil.copy(home.root / name, saved / name)
        (home.root / name).unlink()
    before = snapshot(home.root)
    for args in (["code", "prod", "--reason", "r"], ["password", "prod", "--reason", "r", "--show"],
                 ["enroll", "777788889999", "--name", "new", "--step", "password"]):
        result = home.rk(*args)
        assert_clean_failure(result, 2, f"belongs to the journal {home.journal}, which does not exist now")
        assert "restore it and its .head file from a copy" in result.err
    assert snapshot(home.root) == before  # no record 1 of a new chain
    verified = home.rk("journal", "verify")
    assert verified.returncode == 1 and "does not exist now" in verified.err, verified.out + verified.err
    blind = home.rk("journal", "verify", creds=False)  # no secret to open the stores: never "ok: 0 records"
    assert blind.returncode == 1 and "could not be opened" in blind.err, blind.out + blind.err
    for name in (home.journal.name, home.journal.name + ".head"):
        shutil.copy(saved / name, home.root / name)
    assert home.rk("code", "prod", "--reason", "restored").returncode == 0
    assert home.rk("journal", "verify").out.startswith("ok: ")


def test_a_journal_cut_back_or_replaced_by_another_is_refused_though_its_chain_verifies(home):
    enroll(home)
    enroll(home, "444455556666", "dev")
    original = home.journal.read_bytes(), home.journal.with_name(home.journal.name + ".head").read_bytes()
    lines = home.journal.read_text().splitlines()
    home.journal.write_text(lines[0] + "\n")  # cut back to record 1, its head rewritten to match
    first = json.loads(lines[0])
    home.journal.with_name(home.journal.name + ".head").write_text(f"1 {first['hash']}\n")
    assert_clean_failure(home.rk("code", "prod", "--reason", "r"), 2, "lacks record")
    fresh = run(["journal", "verify"], cwd=home.root)  # the chain alone looks fine: only the stores know
    assert fresh.returncode == 0 and fresh.out.startswith("ok: 1 records")
    home.journal.write_text(json.dumps({**first, "hash": "ab" * 32}) + "\n")  # another journal's record 1
    assert_clean_failure(home.rk("code", "prod", "--reason", "r"), 2, "which is another journal now")
    home.journal.write_bytes(original[0])
    home.journal.with_name(home.journal.name + ".head").write_bytes(original[1])
    assert home.rk("code", "prod", "--reason", "r").returncode == 0


def test_a_journal_deleted_before_its_stores_name_it_is_still_found_by_verify_and_by_the_next_command(home):
    """Deleted right after the first write (a store written while the journal was empty names no journal):
    the store is opened, holds an account, and the journal holds not one record of it: a problem, never "ok".
    A fresh installation (empty stores, no record) still verifies."""
    assert home.rk("journal", "verify").returncode == 0  # init only: nothing recorded, nothing held
    home.rk("enroll", "111122223333", "--name", "prod", "--step", "password", check=True)
    for name in (home.journal.name, home.journal.name + ".head"):
        (home.root / name).unlink()
    verified = home.rk("journal", "verify")
    assert verified.returncode == 1, verified.out + verified.err
    assert "holds 1 account(s): their records are missing" in verified.err and "ok:" not in verified.out
    before = snapshot(home.root)  # nor does the next command start a new chain
    assert_clean_failure(home.rk("password", "prod", "--reason", "r", "--show"), 2, "their records are missing")
    assert snapshot(home.root) == before
