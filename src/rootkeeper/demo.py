"""The whole job, end to end, on a made-up organization: no AWS account needed.

Creates a fresh directory with a vault, a seed store (encrypted to a demo
custodian's age key), a configuration and a journal; enrolls every account as
the console ceremony would (the console's secret made as AWS makes it: 40
random bytes, 64 base32 characters); breaks glass once; verifies the journal.

The demo writes its own master password and age identity into
``DEMO-ONLY-secrets/`` so that you can try the commands it prints. Real
secrets never go in a file next to the stores.
"""

from __future__ import annotations

import base64
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from . import breakglass, ceremony, fsutil, passwords, totp
from .accounts import Account
from .config import load
from .errors import ExistsError, InputError
from .provision import InitPlan, init
from .vault import KdfParams
from .workspace import Credentials, Workspace

DEMO_NAMES = ["log-archive", "audit", "security-tooling", "network-hub", "shared-services",
              "identity", "backup", "sandbox", "workloads-prod", "workloads-dev"]


def console_secret() -> str:
    """What the console's 'Show secret key' gives: 40 random bytes as 64 base32 characters."""
    return base64.b32encode(os.urandom(40)).decode()


def account_names(count: int) -> list[str]:
    names = []
    for index in range(count):
        base = DEMO_NAMES[index % len(DEMO_NAMES)]
        names.append(base if index < len(DEMO_NAMES) else f"{base}-{index // len(DEMO_NAMES) + 1:02d}")
    return names


def run(out: Path, count: int, say: Callable[[str], None], kdf: KdfParams | None = None) -> dict:
    if not 1 <= count <= 10000:
        raise InputError(f"--accounts {count} is out of range: choose 1-10000")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ExistsError(f"{out} exists and is not empty: give --out a new directory")
    secrets_dir = out / "DEMO-ONLY-secrets"
    for directory in (out, out / "vault", out / "seeds", secrets_dir):
        directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    import pyrage

    master = passwords.generate(32)
    identity = pyrage.x25519.Identity.generate()
    fsutil.write_new(secrets_dir / "vault-password.txt", (master + "\n").encode())
    fsutil.write_new(secrets_dir / "custodian-1.agekey",
                     f"# demo custodian\n# public key: {identity.to_public()}\n{identity}\n".encode())
    plan = InitPlan(config_path=out / "rootkeeper.toml", vault=out / "vault" / "aws-root.kdbx",
                    seeds=out / "seeds" / "aws-root-mfa.csv.age", journal=out / "rootkeeper-journal.jsonl",
                    recipients=[str(identity.to_public())], kdf=kdf or KdfParams())
    init(plan, master, None)
    say(f"1. Created the vault, the seed store and the configuration in {out}")
    say(f"   vault:      {plan.vault}  (KeePass KDBX 4, Argon2id {plan.kdf.memory_mib} MiB x {plan.kdf.iterations})")
    say(f"   seed store: {plan.seeds}  (age, to 1 custodian key)")

    ws = Workspace(load(str(plan.config_path)),
                   Credentials(lambda: master, lambda: "", lambda: [str(identity)]))
    org_ids = set()
    say(f"2. Enrolling {count} accounts as the console ceremony does:")
    for name in account_names(count):
        account_id = f"{secrets.randbelow(10**12):012d}"
        while account_id in org_ids:
            account_id = f"{secrets.randbelow(10**12):012d}"
        org_ids.add(account_id)
        account = Account(account_id, name, f"security+{name}@example.com")
        ceremony.save_password(ws, account)          # saved before the operator sees it
        shown = console_secret()                     # the console's "Show secret key"
        step = ceremony.save_seed(ws, account, shown, None)  # saved before any code is shown
        # The simulated console checks the two consecutive codes, as AWS does.
        expected = totp.consecutive_codes(shown, step.at)
        if step.codes != expected:
            raise RuntimeError("demo console rejected the codes")
        if count <= 12:
            say(f"   {account_id} {name:<18} password saved, seed saved, codes {step.codes[0]} {step.codes[1]} accepted")
    if count > 12:
        say(f"   ... {count} accounts enrolled")

    first = ws.vault().entries()[0]
    code = breakglass.current_code(ws, first.account_id, "demo: restore IAM administrator access", time.time())
    breakglass.retrieve_password(ws, first.account_id, "demo: restore IAM administrator access", "show")
    say(f"3. Broke glass for {first.account_id} ({first.name}): password retrieved, code {code.code} "
        f"({code.seconds_left}s left); both recorded in the journal")
    check = ws.journal().verify()
    say(f"4. Journal verified: {check.count} records, chain intact, head {check.head[:16]}...")

    cfg = f"--config {plan.config_path}"
    creds = (f"--vault-password-file {secrets_dir / 'vault-password.txt'} "
             f"--seeds-identity {secrets_dir / 'custodian-1.agekey'}")
    say("")
    say("Where everything is:")
    say(f"  {plan.vault}   root passwords only; open it in KeePassXC with DEMO-ONLY-secrets/vault-password.txt")
    say(f"  {plan.seeds}   MFA seeds only; age -d -i {secrets_dir / 'custodian-1.agekey'} {plan.seeds}")
    say(f"  {plan.journal}   every enrollment and retrieval, hash-chained")
    say(f"  {plan.config_path}   paths and settings, no secret")
    say(f"  {secrets_dir}   DEMO ONLY: real master passwords and identities never sit beside the stores")
    say("")
    say("Try next:")
    say(f"  rootkeeper list {cfg} {creds}")
    say(f"  rootkeeper code {first.name} --reason 'close the account' {cfg} {creds}")
    say(f"  rootkeeper password {first.account_id} --reason 'close the account' --show {cfg} {creds}")
    say(f"  rootkeeper journal verify {cfg}")
    say(f"Done in {time.perf_counter() - start:.1f}s.")
    return {"out": str(out), "accounts": count, "journal_records": check.count, "journal_ok": check.ok}
