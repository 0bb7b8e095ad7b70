"""The command-line contract: help with examples, fast start, demo, no secrets in output or argv."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import assert_clean_failure, base_env, make_identity, oracle, random_seed, run

COMMANDS = [[], ["init"], ["enroll"], ["code"], ["password"], ["list"], ["seeds"], ["seeds", "import"],
            ["seeds", "export"], ["rotate"], ["retire"], ["journal"], ["journal", "show"], ["journal", "verify"], ["demo"],
            ["org"], ["org", "accounts"], ["org", "reconcile"], ["org", "audit"], ["org", "delete-root"],
            ["org", "allow-recovery"], ["org", "enable-central-root"], ["completion"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "rootkeeper")
def test_every_help_has_an_example(tmp_path, command):
    result = run([*command, "--help"], cwd=tmp_path, check=True)
    assert "Example" in result.out
    assert "rootkeeper " in result.out


def test_help_does_not_import_heavy_libraries(tmp_path):
    code = ("import sys\nfrom rootkeeper.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('boto3', 'botocore', 'pykeepass', 'pyrage', 'rich', 'pyotp') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=tmp_path, check=True).stdout.decode()
    assert "HEAVY []" in out


def test_code_does_not_import_boto3_pykeepass_or_even_click(home):
    """Break glass loads only what it needs; with plain arguments not even click (issue 13)."""
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=random_seed(), check=True)
    heavy = "('boto3', 'pykeepass', 'rich', 'click', 'lxml', 'pyotp')"
    code = (f"import sys\nfrom rootkeeper.cli import main\n"
            f"try:\n    main(['code','a','--reason','t','--seeds-identity',{str(home.identity)!r}])\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY', [m for m in {heavy} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=home.root, env=base_env()).stdout.decode()
    assert "HEAVY []" in out, out


def test_list_json_has_no_secrets(home):
    seed = random_seed()
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=seed, check=True)
    out = home.rk("list", "--json", check=True).out
    data = json.loads(out)
    assert data["accounts"][0]["state"] == "custodied" and data["problems"] == []
    password = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/a").strip()
    assert seed not in out and password not in out


def test_list_only_one_store(home):
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=random_seed(), check=True)
    only_seeds = json.loads(run(["list", "--json", "--only", "seeds", "--seeds-identity", home.identity],
                                cwd=home.root, check=True).out)
    assert only_seeds["accounts"][0]["state"] == "seed-present"  # the vault was not opened: no guess about it


def test_environment_variables_carry_secrets(home):
    env = base_env() | {"ROOTKEEPER_VAULT_PASSWORD": (home.password_file.read_text().strip()),
                        "ROOTKEEPER_SEEDS_IDENTITY": str(home.identity)}
    run(["enroll", "000000000001", "--name", "a", "--seed-file", "-"], cwd=home.root, env=env, input=random_seed(),
        check=True)
    assert run(["password", "a", "--reason", "t", "--show"], cwd=home.root, env=env, check=True).out.strip()


def test_a_wrong_secret_is_refused_naming_where_it_came_from_never_what_it_is(home):
    """A team member whose environment still holds last quarter's vault password, or who was handed another
    custodian's identity file, is told which source to fix."""
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=random_seed(), check=True)
    stale = "last quarter's vault password"
    by_env = run(["password", "a", "--reason", "t", "--show"], cwd=home.root,
                 env=base_env() | {"ROOTKEEPER_VAULT_PASSWORD": stale})
    assert by_env.returncode == 2 and "the vault password came from ROOTKEEPER_VAULT_PASSWORD" in by_env.err, by_env.err
    (home.root / "old-pw").write_text(stale + "\n")
    by_file = run(["password", "a", "--reason", "t", "--show", "--vault-password-file", "old-pw"], cwd=home.root)
    assert by_file.returncode == 2 and "came from --vault-password-file" in by_file.err, by_file.err
    other = home.root / "other.agekey"
    make_identity(other)
    by_identity = run(["code", "a", "--reason", "t", "--seeds-identity", other.name], cwd=home.root)
    assert by_identity.returncode == 2 and "the age identity came from 'other.agekey'" in by_identity.err, by_identity.err
    assert all(stale not in r.err and stale not in r.out for r in (by_env, by_file))


def test_no_plaintext_left_behind(home):
    seed = random_seed()
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=seed, check=True)
    home.rk("rotate", "a", "--reason", "test", check=True)
    home.rk("seeds", "export", check=True)
    files = [p for p in home.root.rglob("*") if p.is_file()]
    locks = [p for p in files if p.name.endswith(".rootkeeper-lock")]
    assert sorted(p.name for p in locks) == [".aws-root.kdbx.rootkeeper-lock", ".mfa.csv.age.rootkeeper-lock",
                                             ".rootkeeper-journal.jsonl.accounts.rootkeeper-lock",
                                             ".rootkeeper-journal.jsonl.rootkeeper-lock",
                                             ".rootkeeper.toml.rootkeeper-lock"]
    assert all(p.stat().st_size == 0 for p in locks)  # released: empty
    names = sorted(p.relative_to(home.root).as_posix() for p in files if p not in locks)
    assert names == ["keys/custodian.agekey", "keys/seeds-passphrase", "keys/vault-password",
                     "rootkeeper-journal.jsonl", "rootkeeper-journal.jsonl.accounts", "rootkeeper-journal.jsonl.head",
                     "rootkeeper.toml", "seeds/mfa.csv.age", "vault/aws-root.kdbx"]
    password = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/a").strip()
    for name in ("rootkeeper-journal.jsonl", "rootkeeper.toml", "rootkeeper-journal.jsonl.accounts"):
        text = (home.root / name).read_text()
        assert seed not in text and password not in text


def test_demo_runs_and_its_artefacts_open_in_standard_tools(tmp_path):
    age = oracle("age")
    out = tmp_path / "demo"
    result = run(["demo", "--out", out, "--kdf-memory-mib", "8", "--kdf-iterations", "1"], cwd=tmp_path, check=True)
    assert "Journal verified" in result.out
    assert result.out.count("accepted by the console") == 4  # the management account and three members
    assert "root sign-in to the simulated console succeeded" in result.out
    assert "ROOT_ACCESS_KEYS" in result.out and "NO_MFA" in result.out  # the planted findings, found
    first_audit = result.out.split("6. The audit")[1].split("7. Deleting")[0]
    assert re.search(r"log-archive +CUSTODIED", first_audit)  # its seed and the plan's FIDO key
    assert re.search(r"security-tooling +DEVICE_UNKNOWN", first_audit)  # a key custody does not know
    assert "--mfa-device arn:aws:iam::" in result.out and ":u2f/root/unknown-key-" in result.out
    assert "exit status 0: every account is ROOTLESS or CUSTODIED" in result.out  # after delete-root
    root_use = result.out.split("9. Root use")[1].split("10. ")[0]  # one explained, one unexplained, one failed
    assert re.search(r"log-archive +sign-in ok \(MFA\) from [0-9.]+: explained by record [0-9]+", root_use), root_use
    assert re.search(r"log-archive +sign-in FAILED from 203.0.113.99: SIGN_IN_FAILED", root_use)
    assert re.search(r"identity +sign-in ok \(no MFA\) from 203.0.113.66: UNEXPLAINED NO_MFA", root_use)
    sessions = re.search(r"([0-9]+) AssumeRoot sessions \(audits, deletions\): ([0-9]+) allowed or explained", root_use)
    assert sessions and sessions.group(1) == sessions.group(2) and int(sessions.group(1)) > 8
    assert "exit status 1" in root_use
    password = (out / "DEMO-ONLY-secrets" / "vault-password.txt").read_text()
    info = subprocess.run([oracle("keepassxc-cli"), "ls", "-R", "-f", out / "vault" / "aws-root.kdbx"],
                          input=password.encode(), capture_output=True, env=base_env(), check=True).stdout.decode()
    assert info.count("AWS root users/") == 4  # the group and three custodied entries
    assert "Retired/backup" in info  # its root credentials were deleted: retired, not deleted
    plain = subprocess.run([age, "-d", "-i", out / "DEMO-ONLY-secrets" / "custodian-1.agekey",
                            out / "seeds" / "aws-root-mfa.csv.age"], capture_output=True, check=True).stdout.decode()
    rows = plain.splitlines()
    assert len(rows) == 5 and all(len(r.split(",")[3]) == 64 for r in rows[1:])
    assert [r.split(",")[1] for r in rows[1:] if r.split(",")[9] == "retired"] == ["backup"]
    verify = run(["journal", "verify", "--config", out / "rootkeeper.toml"], cwd=tmp_path, check=True)
    assert verify.out.startswith("ok: ")
    # The last audit where teams read it: the page as Chromium shows it, and OCSF as Prowler's models read it.
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from test_reports_html import chromium

    findings = json.loads((out / "reports" / "audit.ocsf.json").read_text())
    assert findings and all(ComplianceFinding.model_validate(f).class_uid == 2003 for f in findings)
    shown = chromium(out / "reports" / "audit.html")
    assert {r["uid"] for r in shown.rows} == {f["finding_info"]["uid"] for f in findings}
    assert {r["cells"][1] for r in shown.rows if r["uid"].startswith("rootkeeper/audit/root-custody/")} <= {
        "ROOTLESS", "CUSTODIED"}  # after delete-root: step 8's exit status 0
    assert run(["demo", "--out", out], cwd=tmp_path).returncode == 2  # never over an existing demo


def test_the_completion_script_completes_in_bash(home):
    """`rootkeeper completion bash`, sourced by bash itself, completes a command name and an account the
    journal records."""
    home.rk("enroll", "000000000042", "--name", "payments-prod", "--seed-file", "-", input=random_seed(), check=True)
    script = run(["completion", "bash"], cwd=home.root, check=True).out
    bin_dir = str(__import__("pathlib").Path(sys.executable).parent)
    probe = script + ('\nCOMP_WORDS=(rootkeeper jou); COMP_CWORD=1; _rootkeeper_completion rootkeeper; echo "${COMPREPLY[@]}"'
                      '\nCOMP_WORDS=(rootkeeper code pay); COMP_CWORD=2; _rootkeeper_completion rootkeeper; echo "${COMPREPLY[@]}"')
    env = base_env() | {"PATH": f"{bin_dir}:{base_env().get('PATH', '')}"}
    done = subprocess.run([oracle("bash"), "-c", probe], cwd=home.root, env=env, capture_output=True, text=True,
                          timeout=60)
    words = done.stdout.splitlines()
    assert len(words) == 2 and "journal" in words[0].split() and "payments-prod" in words[1].split(), done


def test_a_simulated_organization_kept_running_takes_the_commands_and_the_console_steps(home):
    """`rootkeeper sim serve` prints the exports, then every org command and the console's steps ('sim console')
    work against it from other processes, as a person trying the tool would; SIGTERM stops it cleanly."""
    import signal

    server = subprocess.Popen([sys.executable, "-m", "rootkeeper", "sim", "serve", "--accounts", "4"], cwd=home.root,
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        exports = server.stdout.readline().split()
        assert exports[0] == "export", exports
        env = base_env() | dict(item.split("=", 1) for item in exports[1:])
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        listed = json.loads(home.rk("org", "accounts", "--json", env=env, check=True).out)["accounts"]
        member = next(a for a in listed if a["account_name"] == "log-archive")["account_id"]
        assert len(listed) == 5
        home.rk("org", "enable-central-root", env=env, check=True)
        home.rk("enroll", member, "--name", "log-archive", "--email", "aws+log-archive@example.com", "--step",
                "password", env=env, check=True)
        password = home.rk("password", member, "--reason", "enrollment", "--show", check=True).out.strip()
        run(["sim", "console", "set-password", member], cwd=home.root, input=password + "\n", env=env, check=True)
        device = "rootkeeper-2026-12-02"
        secret = run(["sim", "console", "assign-mfa", member, "--device-name", device], cwd=home.root, env=env,
                     check=True).out
        codes = home.rk("enroll", member, "--step", "mfa", "--seed-file", "-", "--device-name", device, input=secret,
                        env=env, check=True).out
        serial = f"arn:aws:iam::{member}:mfa/{device}"
        run(["sim", "console", "enable-mfa", member, "--serial", serial], cwd=home.root, input=codes, env=env,
            check=True)
        home.rk("seeds", "prove", member, "--signed-in", check=True)
        audit = json.loads(home.rk("org", "audit", "--json", member, env=env, check=True).out)
        assert audit["accounts"][0]["verdict"] == "CUSTODIED"
        code = home.rk("code", member, "--reason", "drill", check=True).out.split()[0]
        signed = run(["sim", "console", "sign-in", member], cwd=home.root, input=f"{password}\n{code}\n", env=env)
        assert signed.returncode == 0, signed.err
        wrong = run(["sim", "console", "sign-in", member], cwd=home.root, input=f"{password}\n000000\n", env=env)
        assert wrong.returncode == 1 and "refused the sign-in" in wrong.err
        assert_clean_failure(run(["sim", "console", "assign-mfa", "999999999999", "--device-name", "x"], cwd=home.root,
                                 env=env), 2, "no account 999999999999")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert server.returncode == 0 and "stopped" in err, err
    assert password not in out + err
