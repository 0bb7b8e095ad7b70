"""What a new user trips on in the first hour of use."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from conftest import assert_clean_failure, aws_env, base_env, oracle, random_seed, run, snapshot

ROOT = Path(__file__).resolve().parents[1]


def enroll(home, account="111111111111", name="prod", seed=None):
    seed = seed or random_seed()
    home.rk("enroll", account, "--name", name, "--seed-file", "-", input=seed, check=True)
    return seed


# ---------------------------------------------------------------- anchors as people copy them
def test_an_anchor_may_be_a_prefix_of_16_hex_digits_or_more(home):
    enroll(home)
    result = home.rk("code", "prod", "--reason", "drill", check=True)
    seq, digest = re.search(r"journal: record (\d+) sha256:([0-9a-f]{64})", result.err).groups()
    assert home.rk("journal", "verify", "--anchor", f"{seq}:{digest[:16]}").returncode == 0
    assert home.rk("journal", "verify", "--anchor", f"{seq}:{digest[:16]}...").returncode == 0
    assert home.rk("journal", "verify", "--anchor", f"{seq}:sha256:{digest}").returncode == 0
    assert_clean_failure(home.rk("journal", "verify", "--anchor", f"{seq}:{digest[:8]}"), 2, "at least 16")
    wrong = f"{seq}:{'0' * 16}"
    assert home.rk("journal", "verify", "--anchor", wrong).returncode == 1
    ok = home.rk("journal", "verify", check=True)
    assert f"--anchor {int(seq)}:{digest}" in ok.err  # printed whole, ready to paste


# ---------------------------------------------------------------- AWS_REGION honoured
def test_region_from_option_then_aws_region_then_aws_default_region(home, sim):
    sim.create_organization()
    cases = [({"AWS_REGION": "eu-west-3"}, [], "eu-west-3"),
             ({"AWS_REGION": "eu-west-3", "AWS_DEFAULT_REGION": "ap-south-1"}, [], "eu-west-3"),
             ({"AWS_DEFAULT_REGION": "ap-south-1"}, [], "ap-south-1"),
             ({"AWS_REGION": "eu-west-3"}, ["--region", "ca-central-1"], "ca-central-1")]
    for extra, args, expected in cases:
        env = aws_env(sim.url, **extra)
        if "AWS_REGION" not in extra:
            env.pop("AWS_REGION")
        sim.regions.clear()
        result = home.rk(*args, "org", "accounts", env=env)
        assert result.returncode == 0, result.err
        assert set(sim.regions) == {expected}, (extra, args, sim.regions)


# ---------------------------------------------------------------- the demo without its extra
def test_demo_without_moto_says_which_extra_before_creating_anything(tmp_path):
    script = ("import sys; sys.modules['moto'] = None\n"
              "from rootkeeper.cli import main\n"
              f"main(['demo', '--out', {str(tmp_path / 'demo')!r}])\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=base_env(), capture_output=True, text=True)
    assert_clean_failure(type("R", (), {"returncode": result.returncode, "err": result.stderr, "out": result.stdout}),
                         2, "pip install 'rootkeeper[sim]'")
    assert not (tmp_path / "demo").exists()


# ---------------------------------------------------------------- hints name options that exist
def test_seeds_import_of_a_second_seed_names_replace(home):
    enroll(home)
    (home.root / "again.csv").write_text("Account #,Account Name,Account Email,MFA Seed\n"
                                         f"111111111111,prod,security+prod@example.com,{random_seed()}\n")
    result = home.rk("seeds", "import", "again.csv")
    assert_clean_failure(result, 2, "--replace ")
    assert "--replace-seed" not in result.err
    home.rk("seeds", "import", "again.csv", "--replace", check=True)


# ---------------------------------------------------------------- the demo's next steps, pasted
def test_the_demos_try_next_lines_run_as_printed(tmp_path):
    out = tmp_path / "demo"
    result = run(["demo", "--out", out, "--kdf-memory-mib", "8", "--kdf-iterations", "1"], cwd=tmp_path, check=True)
    lines = result.out.split("Try next", 1)[1].splitlines()[1:]
    commands = [ln.strip() for ln in lines if ln.startswith("  ")]
    assert len(commands) >= 5 and all(not c.startswith("rootkeeper ") for c in commands)  # a full path, not PATH
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = 0
    for command in commands:
        if command.startswith("AWS_PROFILE="):  # the organization stopped with the demo
            if " org audit " in command:  # it opens both stores (org root-use reads only the journal)
                assert "--vault-password-file" in command and "--seeds-identity" in command
            assert "--config" in command
            continue
        done = subprocess.run(["sh", "-c", command], cwd=elsewhere, capture_output=True, text=True,
                              env=base_env(), timeout=120)
        assert done.returncode == 0, (command, done.stderr)
        ran += 1
    assert ran >= 4


def test_code_fresh_waits_for_the_next_window(home):
    """--fresh 5: a code with fewer than 5 s left is never printed; the next one is waited for
    (at most 5 s here), and it is the code oathtool gives for that moment."""
    seed = enroll(home)
    for _ in range(2):
        result = home.rk("code", "prod", "--reason", "fresh", "--fresh", "5", check=True)
        printed_at = int(time.time())
        shown_left = int(re.search(r"(\d+)s left", result.err).group(1))
        assert shown_left >= 5
        window = subprocess.run([oracle("oathtool"), "--totp", "-b", seed, "-N", f"@{printed_at - 1}", "-w", "1"],
                                capture_output=True, check=True).stdout.decode().split()
        assert result.out.split()[0] in window
    assert_clean_failure(home.rk("code", "prod", "--reason", "r", "--fresh", "5", "--at", "1700000000"), 2, "--at")
    assert_clean_failure(home.rk("code", "prod", "--reason", "r", "--fresh", "31"), 2, "period")


# ---------------------------------------------------------------- a view of one store does not guess
def test_list_only_one_store_says_what_it_cannot_know(home):
    enroll(home)
    seeds_only = json.loads(home.rk("list", "--json", "--only", "seeds", check=True).out)["accounts"][0]
    assert seeds_only["state"] == "seed-present" and seeds_only["password"] is None and seeds_only["seed"] is True
    vault_only = json.loads(home.rk("list", "--json", "--only", "vault", check=True).out)["accounts"][0]
    assert vault_only["state"] == "password-present" and vault_only["seed"] is None and vault_only["password"] is True
    both = json.loads(home.rk("list", "--json", check=True).out)["accounts"][0]
    assert both["state"] == "custodied"


# ---------------------------------------------------------------- consistency
def test_rotate_takes_a_reason_and_records_it(home):
    enroll(home)
    home.rk("rotate", "prod", check=True)  # the brief's contract: 'rotate ACCOUNT' still runs in a script
    assert "reason" not in json.loads(home.journal.read_text().splitlines()[-1])
    result = home.rk("rotate", "prod", "--reason", "yearly rotation (CHG-77)", check=True)
    assert "rootkeeper password 111111111111" in result.err  # where the new password is
    record = json.loads(home.journal.read_text().splitlines()[-1])
    assert record["event"] == "rotate" and record["reason"] == "yearly rotation (CHG-77)"


def test_global_options_work_before_or_after_the_command_name(home, sim):
    enroll(home)
    sim.create_organization()
    config = ["--config", home.config]
    for args in (["list", "--json", *config], [*config, "list", "--json"], ["journal", *config, "show"],
                 [*config, "journal", "show"], ["seeds", *config, "recipients", "list"],
                 [*config, "seeds", "recipients", "list"]):
        result = run([*args, *home.creds()], cwd=home.root.parent)
        assert result.returncode == 0, (args, result.err)
    for args in (["--region", "eu-west-3", "org", "accounts"], ["org", "--region", "eu-west-3", "accounts"],
                 ["org", "accounts", "--region", "eu-west-3"]):
        sim.regions.clear()
        result = home.rk(*args, env=aws_env(sim.url))
        assert result.returncode == 0 and set(sim.regions) == {"eu-west-3"}, (args, result.err)
    result = home.rk("--profile", "no-such-profile", "org", "accounts", env=aws_env(sim.url))
    assert_clean_failure(result, 2, "profile")


def test_list_finding_a_seed_in_the_vault_exits_1(home):
    enroll(home)
    cli = subprocess.run([oracle("keepassxc-cli"), "edit", "--notes", "otpauth://totp/x?secret=" + random_seed(),
                          str(home.vault), "AWS root users/prod"], input=b"correct horse battery staple 42\n",
                         capture_output=True, env=base_env(), timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert_clean_failure(home.rk("list"), 1, "holds an MFA seed")


# ---------------------------------------------------------------- output a person reads
def test_help_lists_global_options_once_and_names_secret_variables():
    root = run(["--help"], cwd=ROOT, check=True).out
    for option, env in (("--vault-password-file", "ROOTKEEPER_VAULT_PASSWORD"),
                        ("--seeds-passphrase-file", "ROOTKEEPER_SEEDS_PASSPHRASE"),
                        ("--seeds-identity", "ROOTKEEPER_SEEDS_IDENTITY"), ("--vault-key-file", "ROOTKEEPER_VAULT_KEY_FILE"),
                        ("--profile", "AWS_PROFILE"), ("--region", "AWS_REGION")):
        assert option in root and env in root, option
    for path in (["code"], ["org", "audit"], ["seeds", "import"], ["journal", "verify"]):
        text = run([*path, "--help"], cwd=ROOT, check=True).out
        assert "--vault-password-file" not in text and "rootkeeper --help" in text, path


def test_unreachable_without_root_sessions_points_at_enable_central_root(home, sim):
    sim.create_organization()
    sim.add_account("member", "aws+member@example.com")
    result = home.rk("org", "audit", "--json", env=aws_env(sim.url))
    row = [r for r in json.loads(result.out)["accounts"] if r["account_name"] == "member"][0]
    assert row["verdict"] == "UNREACHABLE" and "rootkeeper org enable-central-root" in row["message"]


# ---------------------------------------------------------------- packaging basics
def test_licence_file_matches_the_project_metadata():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in project["classifiers"])
    readme = (ROOT / "README.md").read_text()
    assert "pipx install ." in readme


@pytest.mark.parametrize("line", [ln for ln in (ROOT / "README.md").read_text().split("## Installing", 1)[0].splitlines()
                                  if ln.startswith("make ")])
def test_readme_starts_with_the_two_make_commands(line):
    assert shlex.split(line)[1] in ("demo", "test")


# ---------------------------------------------------------------- the console's "Device name"
def test_the_ceremony_says_what_to_type_as_device_name_and_records_that_arn(home, sim):
    """The operator types what the ceremony proposes; the simulated console requires a name as AWS does;
    the audit then finds the very device the seed was recorded with."""
    sim.create_organization()
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    member = sim.add_account("member", "aws+member@example.com")
    env = aws_env(sim.url)
    home.rk("enroll", member, "--name", "member", "--email", "aws+member@example.com", "--step", "password",
            env=env, check=True)
    with pytest.raises(Exception, match="device name"):
        sim.console_create_virtual_mfa(member, "")
    proposed = "rootkeeper-" + time.strftime("%Y-%m-%d", time.gmtime())
    serial, seed = sim.console_create_virtual_mfa(member, proposed)  # what the operator typed
    result = home.rk("enroll", member, "--step", "mfa", "--seed-file", "-", input=seed, env=env, check=True)
    assert f"'Device name' must be {proposed}" in result.err
    sim.console_enable_mfa(member, serial, *result.out.split()[:2])
    assert f"rootkeeper seeds prove {member} --signed-in" in result.err  # off a terminal, said how to prove it
    home.rk("seeds", "prove", member, "--signed-in", check=True)
    sim.console_set_password(member, home.rk("password", member, "--reason", "r", "--show", check=True).out.strip())
    audit = home.rk("org", "audit", "--json", member, env=env)
    assert json.loads(audit.out)["accounts"][0]["verdict"] == "CUSTODIED", audit.err
    # --device-name changes it; a name AWS would refuse is refused before anything is written.
    before = snapshot(home.root)
    assert_clean_failure(home.rk("enroll", "222222222222", "--name", "x", "--device-name", "bad name!",
                                 "--seed-file", "-", input=random_seed()), 2, "device name")
    assert snapshot(home.root) == before


# ---------------------------------------------------------------- AWS's own otpauth URIs
def test_aws_otpauth_uris_import_with_names_from_the_vault_or_a_names_file(home):
    known, unknown = random_seed(), random_seed()
    home.rk("enroll", "222233334444", "--name", "payments", "--step", "password", check=True)
    uris = [f"otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device@222233334444?secret={known}"
            "&issuer=Amazon%20Web%20Services",
            f"otpauth://totp/Amazon%20Web%20Services:my-phone@555566667777?secret={unknown}"
            "&issuer=Amazon%20Web%20Services"]
    (home.root / "export.txt").write_text("\n".join(uris) + "\n")
    before = snapshot(home.root)
    assert_clean_failure(home.rk("seeds", "import", "export.txt"), 2, "--names")
    assert snapshot(home.root) == before
    (home.root / "names.csv").write_text("account id,name\n555566667777,logging\n")
    home.rk("seeds", "import", "export.txt", "--names", "names.csv", check=True)
    plain = home.age_decrypt()
    assert f"222233334444,payments,security+payments@example.com,{known},arn:aws:iam::222233334444:mfa/root-account-mfa-device" in plain
    assert f"555566667777,logging,security+logging@example.com,{unknown},arn:aws:iam::555566667777:mfa/my-phone" in plain
    now = int(time.time())
    expected = subprocess.run([oracle("oathtool"), "--totp", "-b", known, "-N", f"@{now}"], capture_output=True,
                              check=True).stdout.decode().strip()
    assert home.rk("code", "payments", "--reason", "r", "--at", str(now), check=True).out.split()[0] == expected


# ---------------------------------------------------------------- entries added by hand in KeePassXC
def test_an_entry_added_in_keepassxc_is_shown_found_by_title_and_adopted(home):
    add = subprocess.run([oracle("keepassxc-cli"), "add", "-u", "root", "-p", str(home.vault), "AWS root users/legacy"],
                         input=b"correct horse battery staple 42\nLegacy-Passw0rd!x\n", capture_output=True,
                         env=base_env(), timeout=60)
    assert add.returncode == 0, add.stderr
    listing = home.rk("list", "--json", check=True)
    data = json.loads(listing.out)
    assert data["unrecognised"] == [{"title": "legacy", "fix": "rootkeeper adopt legacy --account-id ID"}]
    assert "unrecognised vault entry 'legacy'" in listing.err
    shown = home.rk("password", "legacy", "--reason", "r", "--show", check=True)
    assert shown.out.splitlines()[0] == "Legacy-Passw0rd!x" and "rootkeeper adopt legacy" in shown.err
    home.rk("adopt", "legacy", "--account-id", "333344445555", "--email", "aws+legacy@example.com", check=True)
    (account,) = json.loads(home.rk("list", "--json", "--only", "vault", check=True).out)["accounts"]
    assert (account["account_id"], account["account_name"], account["email"]) == (
        "333344445555", "legacy", "aws+legacy@example.com")
    assert home.kpcli("show", "-s", "-a", "AccountId", home.vault, "AWS root users/legacy").strip() == "333344445555"
    assert home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/legacy").strip() == "Legacy-Passw0rd!x"


# ---------------------------------------------------------------- shell completion
def complete(home, words: str, shell: str = "bash") -> list[str]:
    env = base_env() | {"_ROOTKEEPER_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
                        "COMP_CWORD": str(len(words.split(" ")) - 1)}
    done = subprocess.run([sys.executable, "-m", "rootkeeper"], cwd=home.root, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.split(",", 1)[1] for line in done.stdout.splitlines() if line]


def test_account_arguments_complete_from_the_journal_without_opening_a_store(home):
    enroll(home, "111111111111", "payments")
    enroll(home, "222222222222", "platform")
    home.vault.rename(home.vault.with_suffix(".away"))  # a store opened to complete would fail now
    home.seeds.rename(home.seeds.with_suffix(".away"))
    assert complete(home, "rootkeeper code p") == ["payments", "platform"]
    assert complete(home, "rootkeeper password 2") == ["222222222222"]
    assert complete(home, "rootkeeper retire pay") == ["payments"]
    assert "rotate" in complete(home, "rootkeeper r")


def test_accounts_imported_in_bulk_complete_too(home):
    """A bulk import is journaled as a count and a digest: its accounts come from what the stores held at their
    last write (``<journal>.accounts``, no secret), still without opening a store."""
    csv_file = home.root / "team.csv"
    csv_file.write_text("Account #,Account Name,Account Email,MFA Seed\n" + "".join(
        f"{i}{i}{i}{i}33334444,imported-{i},i{i}@example.com,{random_seed()}\n" for i in range(1, 4)))
    home.rk("seeds", "import", csv_file, check=True)
    assert "accounts" not in json.loads(home.journal.read_text().splitlines()[-1])  # the record names no account
    names = (home.root / "rootkeeper-journal.jsonl.accounts").read_text()
    assert "MFA" not in names and all(seed not in names for seed in csv_file.read_text().split(",") if len(seed) > 40)
    home.seeds.rename(home.seeds.with_suffix(".away"))
    assert complete(home, "rootkeeper code imp") == ["imported-1", "imported-2", "imported-3"]
    assert complete(home, "rootkeeper code 2222") == ["222233334444"]
    for shell in ("bash", "zsh", "fish"):
        source = subprocess.run([sys.executable, "-m", "rootkeeper"], env=base_env() | {"_ROOTKEEPER_COMPLETE": f"{shell}_source"},
                                capture_output=True, text=True, timeout=60)
        assert source.returncode == 0 and "_ROOTKEEPER_COMPLETE" in source.stdout, shell


# ---------------------------------------------------------------- the README's quick start, as printed
def readme_commands(section: str, until: str) -> list[str]:
    text = (ROOT / "README.md").read_text().split(section, 1)[1].split(until, 1)[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", "", block)
        commands += [ln.split("   #", 1)[0].strip() for ln in joined.splitlines()
                     if ln.strip() and not ln.lstrip().startswith("#")]
    return commands


def test_readme_quick_start_runs_as_printed(tmp_path):
    """Every command of 'A real enrollment, step by step' runs as printed; only the documented
    placeholders are filled in (media paths, custodians' keys, pbpaste), and the interactive
    'enroll' (a terminal) is covered by test_terminal's interactive enrollment."""
    from conftest import make_identity

    commands = readme_commands("## A real enrollment, step by step", "## Commands")
    assert commands[0].startswith("rootkeeper init") and commands[-1] == "rootkeeper journal verify"
    alice, bob = make_identity(tmp_path / "alice.agekey"), make_identity(tmp_path / "bob.agekey")
    (tmp_path / "mnt" / "secure-share").mkdir(parents=True)
    (tmp_path / "media" / "usb-mfa").mkdir(parents=True)
    xvfb = subprocess.Popen([oracle("Xvfb"), ":77", "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = base_env() | {"PATH": f"{Path(sys.executable).parent}:{base_env()['PATH']}", "DISPLAY": ":77",
                        "ROOTKEEPER_VAULT_PASSWORD": "correct horse battery staple 42",
                        "ROOTKEEPER_SEEDS_IDENTITY": str(tmp_path / "alice.agekey"), "SEED": random_seed()}
    oracle("xclip")
    try:
        for number, command in enumerate(commands):
            if command == "rootkeeper enroll 012345678901 --name lz_log_archive":
                continue  # "on a terminal": the guided ceremony (test_terminal drives it on a pty)
            line = (command.replace("/mnt/", f"{tmp_path}/mnt/").replace("/media/", f"{tmp_path}/media/")
                    .replace("age1...alice", alice).replace("age1...bob", bob).replace("pbpaste", 'printf %s "$SEED"'))
            done = subprocess.run(["sh", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (command, done.stderr)
            if number == 0:  # set-up, not a command: the shortest clipboard time keeps the test short
                config = tmp_path / "rootkeeper.toml"
                config.write_text(config.read_text().replace("clipboard_seconds = 30", "clipboard_seconds = 5"))
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def test_each_pipx_line_of_the_readme_is_a_whole_installation_of_extras_that_exist():
    """pipx refuses a second 'pipx install' of a package already installed: the README's lines must each be a
    complete choice (every extra named by the lines before it included), never read as additions."""
    readme = (ROOT / "README.md").read_text()
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    lines = re.findall(r"^pipx install (\S+)", readme, flags=re.MULTILINE)
    assert lines, "the README shows how to install with pipx"
    chosen = [set(re.fullmatch(r"'?\.(?:\[([a-z,]+)\])?'?", line).group(1).split(",")) - {""}
              if "[" in line else set() for line in lines]
    assert all(names <= extras for names in chosen), chosen
    assert all(earlier <= later for earlier, later in zip(chosen, chosen[1:], strict=False)), chosen
    assert "not an addition" in readme
