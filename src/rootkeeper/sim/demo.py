"""The whole job, end to end, on a simulated AWS Organization: no AWS account needed.

Creates a fresh directory with a vault, a seed store (encrypted to a demo
custodian's age key), a configuration and a journal. Starts the simulated
organization (moto's server, extended with root users and AssumeRoot) with
accounts in OUs: some rootless, some with root passwords, one with a root
access key, one with a password nobody enrolled. Enrolls the root users with
passwords through the simulated console (the console issues a virtual MFA seed
and checks the two codes); breaks glass once and signs in with what came out;
enables centralized root access; audits every account; deletes root
credentials through AssumeRoot (dry run first); audits again; verifies the
journal. Each step calls the same library workflow as the command it names,
with boto3 pointed at the simulator the way a user would (``AWS_ENDPOINT_URL``).

The demo writes its own master password and age identity into
``DEMO-ONLY-secrets/`` so that you can try the commands it prints. Real
secrets never go in a file next to the stores.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExistsError, InputError, RootkeeperError
from ..rules import passwords
from ..rules.accounts import Account
from ..rules.rootuse import iso
from ..storage import fsutil, transaction
from ..storage.config import DEFAULT_JOURNAL
from ..storage.settings import of_config
from ..stores.seeds.store import generate_identity
from ..stores.vault import KdfParams
from ..workflows import breakglass, enroll, proof
from ..workflows.init import InitPlan, init
from ..workspace import Credentials, Workspace
from . import missing

DEMO_NAMES = ["log-archive", "audit", "security-tooling", "network-hub", "shared-services",
              "identity", "backup", "sandbox", "workloads-prod", "workloads-dev"]


def account_names(count: int) -> list[str]:
    names = []
    for index in range(count):
        base = DEMO_NAMES[index % len(DEMO_NAMES)]
        names.append(base if index < len(DEMO_NAMES) else f"{base}-{index // len(DEMO_NAMES) + 1:02d}")
    return names


KINDS_EXPLAINED = {
    "enroll": "root password and virtual MFA, enrolled through the console ceremony",
    "rootless": "created by AWS Organizations with no root credentials",
    "keys": "no password, but a root access key someone made years ago",
    "password-only": "a root password someone set, no MFA, nothing in the vault",
}
OUS = {"Security": ["log-archive", "audit", "security-tooling"], "Infrastructure": ["network-hub", "shared-services",
       "identity"], "Workloads/Prod": ["workloads-prod", "backup"], "Workloads/Dev": ["workloads-dev"],
       "Sandbox": ["sandbox"]}


def member_kinds(count: int) -> list[str]:
    """Which state each member account starts in: every kind appears from 6 accounts up."""
    kinds = []
    for index in range(count):
        if index == 3:
            kinds.append("keys")
        elif index == 5:
            kinds.append("password-only")
        elif index % 3 == 1:
            kinds.append("rootless")
        else:
            kinds.append("enroll")
    return kinds


def _ou_of(name: str) -> str:
    base = name.rsplit("-", 1)[0] if name not in sum(OUS.values(), []) else name
    return next((ou for ou, names in OUS.items() if base in names or name in names), "Sandbox")


def run(out: Path, count: int, say: Callable[[str], None], kdf: KdfParams | None = None) -> dict:
    if not 1 <= count <= 1000:
        raise InputError(f"--accounts {count} is out of range: choose 1-1000")
    if missing():
        raise InputError(f"the demo runs on a simulated organization and needs {', '.join(missing())}: "
                         "pip install 'rootkeeper[sim]' (make demo does this)")
    from .org import SimOrg

    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ExistsError(f"{out} exists and is not empty: give --out a new directory")
    secrets_dir = out / "DEMO-ONLY-secrets"
    for directory in (out, out / "vault", out / "seeds", secrets_dir):
        directory.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()

    master = passwords.generate(32)
    identity, public = generate_identity()
    fsutil.write_new(secrets_dir / "vault-password.txt", (master + "\n").encode())
    fsutil.write_new(secrets_dir / "custodian-1.agekey",
                     f"# demo custodian\n# public key: {public}\n{identity}\n".encode())
    plan = InitPlan(config_path=out / "rootkeeper.toml", vault=out / "vault" / "aws-root.kdbx",
                    seeds=out / "seeds" / "aws-root-mfa.csv.age", journal=out / DEFAULT_JOURNAL,
                    recipients=[public], kdf=kdf or KdfParams())
    init(plan, master, None)
    say(f"1. Created the vault, the seed store and the configuration in {out}")
    say(f"   vault:      {plan.vault}  (KeePass KDBX 4, Argon2id {plan.kdf.memory_mib} MiB x {plan.kdf.iterations})")
    say(f"   seed store: {plan.seeds}  (age, to 1 custodian key)")

    # The simulated organization: moto's server with root users, AssumeRoot and a console.
    # Every answer it sends is checked against botocore's models (sim/contract.py).
    sim = SimOrg()
    url, server = sim.serve()
    try:
        result = _run_org(sim, url, out, plan, master, identity, secrets_dir, count, say, start)
    finally:
        server.shutdown()
    if sim.violations:
        raise RootkeeperError(f"the simulated organization broke AWS's published contract {len(sim.violations)} "
                              f"time(s), first: {sim.violations[0]}: report it (the demo's AWS answers are not AWS's)")
    return result


def populate(sim, count: int) -> tuple[str, list[tuple[str, str, str, str]]]:
    """The demo's organization in ``sim``: its OUs and ``count`` member accounts of every kind (``member_kinds``).
    Returns the management account's id and (account id, name, kind, OU path) of each member."""
    sim.create_organization()
    sim.enable_trail()  # the organization trail: root's sign-ins and sessions from now on (org root-use reads it)
    ou_ids: dict[str, str] = {}
    for path in OUS:
        parent = None
        for depth, part in enumerate(path.split("/")):
            key = "/".join(path.split("/")[:depth + 1])
            if key not in ou_ids:
                ou_ids[key] = sim.add_ou(part, parent)
            parent = ou_ids[key]
    members = []
    for name, kind in zip(account_names(count), member_kinds(count), strict=True):
        ou = _ou_of(name)
        account_id = sim.add_account(name, f"aws+{name}@example.com", ou_ids[ou])
        members.append((account_id, name, kind, ou))
        if kind == "keys":
            sim.plant_access_key(account_id)
        elif kind == "password-only":
            someones = passwords.generate(24)
            sim.console_set_password(account_id, someones)
            sim.console_sign_in(account_id, someones, None, ip="203.0.113.66")  # and signed in with it
    return "123456789012", members


def _run_org(sim, url, out, plan, master, identity, secrets_dir, count, say, start) -> dict:
    start_wall = time.time() - 60
    management, members = populate(sim, count)
    say(f"2. A simulated AWS Organization on {url} (moto, extended with root users and AssumeRoot):")
    say(f"   {management}  {'(management)':<18} /Root                 root password + MFA, to be enrolled")
    for account_id, name, kind, ou in members:
        say(f"   {account_id}  {name:<18} /Root/{ou:<16} {KINDS_EXPLAINED[kind]}")

    ws = Workspace(of_config(plan.config_path), Credentials(lambda: master, lambda: "", lambda: [identity]))
    mgmt_account = sim.accounts()[management]
    to_enroll = [(management, mgmt_account.name, mgmt_account.email)] + [
        (a, n, f"aws+{n}@example.com") for a, n, k, _ou in members if k == "enroll"]
    say(f"3. Enrolling {len(to_enroll)} root users through the simulated console:")
    for account_id, name, email in to_enroll:
        account = Account(account_id, name, email)
        step = enroll.save_password(ws, account)              # saved before the operator sees it
        sim.console_set_password(account_id, step.password)     # 'Forgot password?', then the new one
        device = enroll.proposed_device_name()               # what the ceremony tells the operator to type
        serial, shown = sim.console_create_virtual_mfa(account_id, device)  # 'Assign MFA device', 'Show secret key'
        mfa = enroll.save_seed(ws, account, shown, enroll.device_arn(account_id, device))  # before any code
        sim.console_enable_mfa(account_id, serial, *mfa.codes)  # the console checks both codes against the seed
        proof.prove(ws, account_id, signed_in=True, by="demo operator")  # its acceptance, recorded: the seed is proven
        say(f"   {account_id} {name:<18} password saved, seed saved, codes {mfa.codes[0]} {mfa.codes[1]} "
            f"accepted by the console (seed proven)")

    keys = _keys_step(sim, ws, out, members, say)

    first_id, first_name = to_enroll[min(1, len(to_enroll) - 1)][:2]
    code = breakglass.current_code(ws, first_id, "demo: restore IAM administrator access", time.time())
    got = breakglass.retrieve_password(ws, first_id, "demo: restore IAM administrator access", "show")
    signed_in = sim.console_sign_in(first_id, got.password, code.code)
    say(f"4. Broke glass for {first_id} ({first_name}): password and code {code.code} retrieved and recorded; "
        f"root sign-in to the simulated console {'succeeded' if signed_in else 'FAILED'}")
    if not signed_in:
        raise RuntimeError("demo: the simulated console refused the retrieved credentials")
    sim.console_sign_in(first_id, "Winter2026!", None, ip="203.0.113.99")  # someone trying a password

    with simulator_environment(url):
        _org_steps(ws, members, say, keys, out)
        _root_use_step(ws, start_wall, say)
    sheet = _paper_step(ws, out, say)
    check = transaction.verify(ws.journal())
    say(f"11. Journal verified: {check.count} records, chain intact; anchor for a ticket: {check.count}:{check.head}")

    q = shlex.quote
    exe = command_line()
    cfg = f"--config {q(str(plan.config_path.resolve()))}"
    creds = (f"--vault-password-file {q(str((secrets_dir / 'vault-password.txt').resolve()))} "
             f"--seeds-identity {q(str((secrets_dir / 'custodian-1.agekey').resolve()))}")
    say("")
    say("Where everything is:")
    say(f"  {plan.vault}   root passwords only; open it in KeePassXC with DEMO-ONLY-secrets/vault-password.txt")
    say(f"  {plan.seeds}   MFA seeds only; age -d -i {secrets_dir / 'custodian-1.agekey'} {plan.seeds}")
    say(f"  {plan.journal}   every enrollment, retrieval and deletion, hash-chained")
    say(f"  {plan.config_path}   paths and settings, no secret")
    if keys.plan is not None:
        say(f"  {keys.plan}   the custody plan (the write-up's layout) with root's FIDO key of {keys.kept[1]}")
    say(f"  {secrets_dir}   DEMO ONLY: real master passwords and identities never sit beside the stores")
    if (out / "reports" / "audit.html").exists():
        say(f"  {out / 'reports'}   the last audit as a page (audit.html: open it in a browser) and as OCSF findings")
    if sheet is not None:
        say(f"  {sheet.parent}   DEMO ONLY: the printed sheets (a real seed sheet goes straight to the printer: -o - | lp)")
    say("")
    say("Try next (paste as printed; the simulated organization stopped with the demo, so the org line needs "
        "real AWS credentials):")
    say(f"  {exe} list {cfg} {creds}")
    say(f"  {exe} code {q(first_name)} --reason 'close the account' --fresh 10 {cfg} {creds}")
    say(f"  {exe} password {first_id} --reason 'close the account' --show {cfg} {creds}")
    say(f"  {exe} journal show {cfg}")
    if sheet is not None:
        say(f"  {exe} paper restore {q(str(sheet.resolve()))} --into restored-seeds.age {cfg} {creds}")
    say(f"  {exe} journal verify {cfg}")
    say(f"  AWS_PROFILE=management {exe} org audit {cfg} {creds}")
    say(f"  AWS_PROFILE=management {exe} org root-use --since 1d {cfg}")
    say(f"Done in {time.perf_counter() - start:.1f}s.")
    return {"out": str(out), "accounts": count + 1, "journal_records": check.count, "journal_ok": check.ok}


@dataclass
class Keys:
    """Root's FIDO security keys the demo registers: one kept in the custody plan, one nobody recorded."""

    plan: Path | None = None  # the custody plan (the write-up's layout) that names the kept key
    kept: tuple[str, str, str] | None = None  # (account id, name, serial) of the key in the plan
    foreign: tuple[str, str, str] | None = None  # (account id, name, serial) of a key custody does not know


def _keys_step(sim, ws: Workspace, out: Path, members: list[tuple[str, str, str, str]],
               say: Callable[[str], None]) -> Keys:
    """A FIDO key registered for one enrolled account and recorded in the custody plan (the ceremony of
    ``custody add-device``); another registered by someone, recorded nowhere."""
    from ..custody.devices import add_device
    from ..custody.layout import WRITE_UP_PLAN

    enrolled = [(a, n) for a, n, k, _o in members if k == "enroll"]
    if len(enrolled) < 3:  # the last enrolled account has its root deleted in step 7
        return Keys()
    plan = out / "custody-plan.toml"
    fsutil.write_new(plan, WRITE_UP_PLAN.encode("utf-8"), mode=0o644)
    (kept_id, kept_name), (foreign_id, foreign_name) = enrolled[0], enrolled[1]
    kept = sim.console_register_security_key(kept_id, f"{kept_name}-key-b")  # 'Passkey or security key', a touch
    add_device(ws, plan, "yubikey-b", kept_id, kept, "security-key", place="bank-box-b")
    foreign = sim.console_register_security_key(foreign_id, "unknown-key")
    say(f"   {kept_id} {kept_name:<18} a FIDO security key registered too, recorded in the custody plan {plan.name} "
        "as medium yubikey-b in bank-box-b (rootkeeper custody add-device)")
    say(f"   {foreign_id} {foreign_name:<18} a FIDO security key registered by someone, recorded nowhere")
    return Keys(plan, (kept_id, kept_name, kept), (foreign_id, foreign_name, foreign))


# The simulator's management caller, allowed to audit (its deletions are explained by their journal records).
DEMO_OPERATOR = "arn:aws:iam::123456789012:user/rootkeeper-*#IAMAuditRootUserCredentials"


def _root_use_step(ws: Workspace, since: float, say: Callable[[str], None]) -> None:
    """Step 9: every root use in the organization trail, matched with the journal (org root-use)."""
    from ..org import rootuse as workflow
    from ..org.aws import Aws
    from ..rules import rootuse

    say("9. Root use in the organization trail, matched with the journal:")
    say(f"   $ rootkeeper org root-use --since 1h --allow-principal '{DEMO_OPERATOR}'")
    report = workflow.root_use(ws, Aws(region="us-east-1"), [], since, time.time(), window=3600,
                               allowed=[DEMO_OPERATOR])
    sessions = [u for u in report.uses if u.kind == rootuse.ASSUME_ROOT]
    for u in report.uses:
        if u.kind in (rootuse.SIGN_IN, rootuse.CLI_LOGIN, rootuse.ROOT_CALLS):
            how = ("ok" + (" (MFA)" if u.mfa_used else " (no MFA)")) if u.success else "FAILED"
            said = " ".join(u.findings) or f"explained by record {u.explained_by.seq}"
            say(f"     {report.names.get(u.account_id, u.account_id):<17} {u.kind} {how} from {u.source_ip}: {said}")
    explained = sum(1 for u in sessions if u.explained_by or u.allowed)
    say(f"     {len(sessions)} AssumeRoot sessions (audits, deletions): {explained} allowed or explained")
    x = report.examined
    say(f"     examined {x.accounts} accounts: {x.objects_read} log files, {x.objects_verified} matched their digests")
    say(f"   exit status {1 if report.findings() else 0}: the unexplained and the failed sign-ins are findings")


def _paper_step(ws: Workspace, out: Path, say: Callable[[str], None]) -> Path | None:
    """Print both sheets (when the paper packages are installed) and read the seed sheet back."""
    from ..paper import PRINTING, READING
    from ..paper import missing as paper_missing

    if paper_missing(PRINTING + READING):
        say("10. Paper: skipped (pip install 'rootkeeper[paper]' for the printed sheets)")
        return None
    from ..paper import restore, scan
    from ..paper.emergency import print_emergency_sheet
    from ..paper.seedsheet import print_seed_sheet

    folder = out / "DEMO-ONLY-paper"
    folder.mkdir()
    seeds_pdf, emergency_pdf = folder / "seed-sheet.pdf", folder / "emergency-sheet.pdf"
    printed = print_seed_sheet(ws, [], paper="a4", classification="Demo only - Secret")
    ws.write_files([(seeds_pdf, printed.pdf, None, 0o600)], printed.event)
    emergency = print_emergency_sheet(ws, paper="a4", classification="Demo only - Confidential",
                                      locations=["USB drive 1 (blue), office safe", "network share, RBAC: security admins"])
    ws.write_files([(emergency_pdf, emergency.pdf, None, 0o600)], emergency.event)
    back = restore.check(restore.read(scan.read_scan(seeds_pdf), None))
    say(f"10. Printed the seed sheet ({printed.count} accounts, {printed.pages} page{'s' if printed.pages > 1 else ''}, "
        f"checksum {printed.checksum}) and the vault's emergency sheet; the seed sheet's QR codes read back: "
        f"{len(back.rows)} records, checksum {'verified' if back.complete else 'NOT verified'}")
    return seeds_pdf


def command_line() -> str:
    """How to run this rootkeeper from any shell: the script beside this Python (where make demo and
    pip put it), else the one on PATH, else this Python with -m."""
    script = Path(sys.executable).parent / ("rootkeeper.exe" if os.name == "nt" else "rootkeeper")
    if script.is_file():
        return shlex.quote(str(script))
    found = shutil.which("rootkeeper")
    return shlex.quote(found) if found else f"{shlex.quote(sys.executable)} -m rootkeeper"


@contextlib.contextmanager
def simulator_environment(url: str) -> Iterator[None]:
    """boto3 pointed at the simulator, as a user would with AWS_ENDPOINT_URL, and nothing of the real
    AWS configuration (profile, credentials, config files) in reach; restored afterwards."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIADEMOMANAGEMENT",
                       "AWS_SECRET_ACCESS_KEY": "demo", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                       "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"})
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ.update(saved)


def _org_steps(ws: Workspace, members: list[tuple[str, str, str, str]], say: Callable[[str], None],
               keys: Keys, out: Path) -> None:
    """Steps 5-8 through the org workflows, each shown with the command that runs it."""
    from ..custody.plan import read_plan
    from ..org import audit, rootops
    from ..org.aws import Aws
    from ..workflows.listing import CustodyIndex

    planned = read_plan(keys.plan).mfa_devices() if keys.plan is not None else {}
    with_plan = f" --plan {keys.plan.name}" if keys.plan is not None else ""

    aws = Aws(region="us-east-1")
    say("5. Centralized root access (the organization's management account):")
    say("   $ rootkeeper org enable-central-root")
    for name, was_on in rootops.enable_central_root(ws, aws, dry_run=False).report():
        say(f"     {'already on' if was_on else 'enabled'}: {name}")

    last: list = []

    def run_audit() -> int:
        say(f"   $ rootkeeper org audit{with_plan}")
        rows = audit.Auditor(aws, CustodyIndex.build(ws.vault(), ws.seeds()), planned=planned).audit()
        last[:] = rows
        for row in rows:
            detail = f" ({', '.join(row.findings[1:])})" if row.findings[1:] else ""
            say(f"     {row.account.account_id}  {row.account.name:<18} {row.verdict}{detail}")
        for name, count in audit.summary(rows).items():
            say(f"     {name:<16} {count:>3}  {audit.EXPLAIN[name]}")
        try:
            audit.outcome(rows)
        except RootkeeperError as exc:
            return exc.exit_code
        return 0

    say("6. The audit of every account's root user, joined with the vault and the seed store:")
    first_audit = run_audit()
    say(f"   exit status {first_audit}: 1 because of the planted findings:")
    for _account_id, name, kind, _ou in members:
        if kind == "keys":
            say(f"   - {name}: ROOT_ACCESS_KEYS, a root access key exists; delete it (org delete-root does)")
        elif kind == "password-only":
            say(f"   - {name}: NO_MFA, someone set a root password with no MFA and it is not in the vault")
    if keys.foreign is not None:
        say(f"   - {keys.foreign[1]}: DEVICE_UNKNOWN, a FIDO key custody does not know can also pass root's MFA; "
            "deactivated in step 7 (org delete-root --mfa-device)")
    rootless = [n for _a, n, k, _o in members if k == "rootless"]
    if rootless:
        say(f"   - {', '.join(rootless)}: ROOTLESS, nothing to keep; every enrolled account: CUSTODIED")
    if keys.kept is not None:
        say(f"   - {keys.kept[1]}: CUSTODIED with two MFA devices, its seed and the FIDO key the custody plan "
            "keeps in bank-box-b")

    victims = [(a, n) for a, n, k, _o in members if k in ("keys", "password-only")]
    enrolled = [(a, n) for a, n, k, _o in members if k == "enroll"]
    if enrolled:
        victims.append(enrolled[-1])
    if not victims:
        return
    say("7. Deleting root credentials through AssumeRoot: first a dry run, then for real "
        f"({', '.join(n for _a, n in victims)}):")
    ids = [a for a, _n in victims]
    targets = rootops.delete_root_targets(ws, aws, ids)

    def show(outcome: rootops.Deletion) -> None:
        for line in [*outcome.lines(), outcome.problem()]:
            if line:
                say(f"     {line}")

    for dry_run in (True, False):
        say(f"   $ rootkeeper org delete-root {' '.join(ids)} {'--dry-run' if dry_run else '--yes'}")
        rootops.delete_root(ws, aws, targets, dry_run=dry_run, report=show)
    if keys.foreign is not None:
        account_id, _name, serial = keys.foreign
        say(f"   $ rootkeeper org delete-root {account_id} --mfa-device {serial} --yes")
        rootops.delete_root(ws, aws, rootops.delete_root_targets(ws, aws, [account_id]), dry_run=False, report=show,
                            part=rootops.Part(devices=(serial,)))
    say("8. The audit again:")
    second_audit = run_audit()
    say(f"   exit status {second_audit}: " + ("every account is ROOTLESS or CUSTODIED" if second_audit == 0
                                               else "findings remain"))
    _reports_step(ws, out, audit.findings_run(last, iso(time.time()), ws.anchor()), with_plan, say)


def _reports_step(ws: Workspace, out: Path, run, with_plan: str, say: Callable[[str], None]) -> None:
    """The last audit where teams read it: a page for a person, OCSF for the SIEM (--format html / ocsf)."""
    from ..errors import ConfigError
    from ..findings.html import page
    from ..findings.ocsf import document

    reports = out / "reports"
    reports.mkdir(exist_ok=True)
    fsutil.write_new(reports / "audit.html", page(run).encode("utf-8"), mode=0o644)
    counts = run.counts()
    say(f"   $ rootkeeper org audit{with_plan} --format html -o reports/audit.html   (and --format ocsf)")
    try:
        fsutil.write_new(reports / "audit.ocsf.json", document(run).encode("utf-8"), mode=0o644)
        also = " and reports/audit.ocsf.json (OCSF 1.5.0 Compliance Findings)"
    except ConfigError as exc:
        also = f" (no OCSF: {exc})"
    say(f"     {len(run.results)} results: {counts['pass']} pass, {counts['fail']} fail, {counts['warning']} warning, "
        f"{counts['unknown']} unknown, with the CIS and Security Hub controls each answers; wrote reports/audit.html"
        f"{also}")
