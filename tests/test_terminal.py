"""The ceremony and break glass on a real terminal (a pseudo-terminal), as an operator sees them."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest
from conftest import VAULT_PASSWORD, base_env, oracle, random_seed

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def _controlling_tty() -> None:
    """Make the pty the child's controlling terminal, so that /dev/tty (getpass) is the pty."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, args, cwd, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", *map(str, args)], cwd=cwd, env=env,
                                     stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                                     preexec_fn=_controlling_tty)
        os.close(slave)
        self.screen = ""

    def _pump(self) -> bool:
        """Read what the program wrote, if anything; False once the terminal is closed."""
        ready, _, _ = select.select([self.master], [], [], 0.2)
        if ready:
            try:
                self.screen += os.read(self.master, 4096).decode(errors="replace")
            except OSError:
                return False
        return True

    def expect(self, text: str, timeout: float = 30, count: int = 1) -> str:
        deadline = time.monotonic() + timeout
        while self.screen.count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}; screen:\n{self.screen}")
            self._pump()
        return self.screen

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline and self._pump():
            pass
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"still running; screen:\n{self.screen}") from None
        self._drain()  # what it wrote just before ending is still in the terminal's buffer
        os.close(self.master)
        return code

    def _drain(self) -> None:
        while select.select([self.master], [], [], 0.2)[0]:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # the terminal is closed and empty
                return
            if not data:
                return
            self.screen += data.decode(errors="replace")


def tty_env(home):
    return base_env() | {"ROOTKEEPER_VAULT_PASSWORD": VAULT_PASSWORD, "ROOTKEEPER_SEEDS_IDENTITY": str(home.identity)}


def test_interactive_enrollment(home):
    oathtool = oracle("oathtool")
    seed = random_seed()
    term = Terminal(["enroll", "000000000077", "--name", "console-test"], home.root, tty_env(home))
    term.expect("Press any key to show the password")
    saved = home.kpcli("show", "-s", "-a", "Password", home.vault, "AWS root users/console-test").strip()
    assert saved  # saved before it is shown
    assert saved not in term.screen
    term.send("x")
    term.expect("Paste the secret key")
    assert saved in term.screen
    time.sleep(0.5)  # let the hidden prompt turn echo off (it discards input typed ahead)
    term.send("NOT-BASE32-1\n")
    term.expect("not in the base32 alphabet")
    term.expect("Paste the secret key", count=2)
    time.sleep(0.5)
    start = int(time.time())
    term.send(seed + "\n")
    term.expect("Did the console accept them?")  # y, n for two new codes, Enter for later
    term.send("y\n")
    assert term.finish() == 0
    assert seed not in term.screen  # the hidden prompt does not echo it
    codes = re.findall(r"^(\d{6})\r?$", term.screen, re.M)
    window = subprocess.run([oathtool, "--totp", "-b", seed, "-N", f"@{start}", "-w", "3"], capture_output=True, check=True).stdout.split()
    assert len(codes) == 2 and codes[0].encode() in window and codes[1].encode() in window
    # The console's acceptance proves the seed: recorded in the store (read by the age CLI) and the journal.
    row = next(r for r in home.age_decrypt().splitlines() if r.startswith("000000000077,"))
    assert re.search(r",active,\d{4}-\d\d-\d\dT[0-9:]+Z,\S+@\S+$", row), row
    proof = [json.loads(line) for line in home.journal.read_text().splitlines()][-1]
    assert proof["event"] == "seeds.prove" and proof["result"] == "signed-in" and proof["account_id"] == "000000000077"


def test_reason_menu_offers_root_only_tasks(home):
    home.rk("enroll", "000000000077", "--name", "menu", "--seed-file", "-", input=random_seed(), check=True)
    term = Terminal(["code", "menu"], home.root, tty_env(home))
    term.expect("Close the AWS account")
    term.send("3\n")
    term.expect("Ticket or incident reference")
    term.send("CHG-77\n")
    assert term.finish() == 0
    assert "Close the AWS account (CHG-77)" in home.journal.read_text()


def test_org_audit_on_a_terminal_shows_progress_and_a_table(home, sim):
    """On a terminal: a progress bar while accounts are audited, then the table (rich)."""
    from conftest import aws_env

    sim.create_organization()
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    for i in range(30):
        sim.add_account(f"acct-{i:02d}", f"aws+acct-{i:02d}@example.com")
    sim.latency = 0.05
    try:
        env = aws_env(sim.url, TERM="xterm", COLUMNS="160")
        term = Terminal(["org", "audit", "--concurrency", "2", *home.creds()], home.root, env)
        term.expect("auditing")
        code = term.finish(timeout=60)
    finally:
        sim.latency = 0
    assert code == 0, term.screen  # every account rootless
    assert re.search(r"\d+/31", term.screen)  # the bar counts accounts, once all pages are listed
    assert "ACCOUNT" in term.screen and "VERDICT" in term.screen
    assert term.screen.count("ROOTLESS") >= 31


def test_account_ids_are_never_cut_on_an_80_column_terminal(home):
    """First-hour issue item 11: on a narrow terminal the table wraps other columns, never the id."""
    for i, name in enumerate(("a-rather-long-account-name-for-payments", "another-long-name-for-logging")):
        home.rk("enroll", f"11112222333{i}", "--name", name, "--email", f"r+{name}@corp.example.com",
                "--seed-file", "-", input=random_seed(), check=True)
    term = Terminal(["list"], home.root, tty_env(home) | {"COLUMNS": "80", "LINES": "40", "TERM": "xterm"})
    assert term.finish() == 0, term.screen
    assert "111122223330" in term.screen and "111122223331" in term.screen, term.screen


def test_at_80_columns_every_column_that_explains_a_finding_is_shown_and_no_word_is_broken(home, sim):
    """The audit at 80 columns: the rows become records (nothing 'left out for the width'), every line fits,
    and e-mails, device names and error codes stay whole; a long ceremony line wraps between words."""
    from conftest import aws_env

    sim.create_organization()
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    stray = sim.add_account("a-long-account-name-for-payments", "aws+payments@corp.example.com")
    sim.plant_mfa(stray, "somebody-elses-old-phone-device")
    keys = sim.add_account("another-long-name-for-logging", "aws+logging@corp.example.com")
    sim.plant_access_key(keys)
    sim.plant_certificate(keys)
    env = aws_env(sim.url, TERM="xterm", COLUMNS="80", LINES="60")
    term = Terminal(["org", "audit", *home.creds()], home.root, env)
    assert term.finish(timeout=60) == 1, term.screen
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", term.screen)  # colours and the progress bar's cursor moves
    lines = [ln.rstrip("\r").rsplit("\r", 1)[-1] for ln in plain.splitlines()]  # what a line shows at the end
    too_wide = [ln for ln in lines if len(ln) > 80 and len(ln.split()) > 1]  # one word longer: a path, kept whole
    assert not too_wide, too_wide
    assert "left out" not in term.screen
    record = next(i for i, ln in enumerate(lines) if ln.startswith(stray))
    assert "NOT_IN_VAULT" in lines[record] and "a-long-account-name-for-payments" in lines[record]
    below = " ".join(lines[record + 1:record + 4])
    assert "mfa: somebody-elses-old-phone-device" in below and "vault: no" in below and "seed: no" in below, below
    assert "detail: SEED_MISSING" in below, below
    assert any(ln.startswith(keys) and "ROOT_ACCESS_KEYS" in ln for ln in lines)
    assert "keys/certs: 2" in term.screen
    # A note longer than the terminal wraps between words, indented, never inside one.
    home.rk("enroll", "111122223333", "--name", "ceremony", "--step", "password", check=True)
    term = Terminal(["enroll", "111122223333", "--step", "mfa"], home.root, tty_env(home) | {"COLUMNS": "80"})
    term.expect("Paste the secret key")
    step = [ln.rstrip("\r") for ln in term.screen.splitlines() if "Security credentials" in ln or "Show secret" in ln]
    assert step and all(len(ln) <= 80 for ln in step), step
    assert re.search(r"^\s+3\. Sign in as root, open 'Security credentials', 'Assign MFA device';", term.screen, re.M)
    term.proc.kill()


def test_a_mistyped_confirmation_at_init_asks_again_in_rootkeepers_own_words(tmp_path):
    """click's 'Error: The two entered values do not match.' is not rootkeeper's one 'error:' line: a
    confirmation that differs is said plainly and asked again."""
    import pyrage
    from conftest import TINY_KDF

    for folder in ("v", "s"):
        (tmp_path / folder).mkdir()
    public = str(pyrage.x25519.Identity.generate().to_public())
    args = ["init", "--vault", "v/x.kdbx", "--seeds", "s/x.age", "--seeds-recipient", public, *TINY_KDF]
    term = Terminal(args, tmp_path, base_env())
    term.expect("New vault password")
    term.send("the first password 123\n")
    term.expect("Type it again")
    term.send("not the same password\n")
    term.expect("The two differ")
    term.expect("New vault password", count=2)
    term.send("the first password 123\n")
    term.expect("Type it again", count=2)
    term.send("the first password 123\n")
    assert term.finish() == 0, term.screen
    assert "Error:" not in term.screen and (tmp_path / "v" / "x.kdbx").exists()


def test_a_missing_identity_is_said_before_the_vault_password_is_asked_for(home):
    """list reads both stores: the seed store's identity is missing, so nothing is asked for (no vault
    password typed for nothing, no key derived for nothing)."""
    term = Terminal(["list"], home.root, base_env())
    code = term.finish()
    assert code == 2, term.screen
    assert "--seeds-identity" in term.screen and "Vault password" not in term.screen, term.screen


def test_a_piped_seed_and_the_vault_password_asked_on_the_controlling_terminal(home):
    """'pbpaste | rootkeeper enroll ID --step mfa --seed-file -': standard input is the seed, so the vault
    password is asked for on the controlling terminal (as ssh and keepassxc-cli ask), never read from the pipe."""
    import fcntl
    import termios

    seed = random_seed()
    home.rk("enroll", "000000000078", "--name", "piped", "--step", "password", check=True)
    master, slave = pty.openpty()

    def controlling_tty_on_stderr() -> None:
        os.setsid()
        fcntl.ioctl(2, termios.TIOCSCTTY, 0)

    env = base_env() | {"ROOTKEEPER_SEEDS_IDENTITY": str(home.identity)}
    proc = subprocess.Popen([sys.executable, "-m", "rootkeeper", "enroll", "000000000078", "--step", "mfa",
                             "--seed-file", "-"], cwd=home.root, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=slave, preexec_fn=controlling_tty_on_stderr)
    os.close(slave)
    proc.stdin.write(seed.encode() + b"\n")
    proc.stdin.close()
    screen, deadline = "", time.monotonic() + 30
    while "Vault password" not in screen and time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            screen += os.read(master, 4096).decode(errors="replace")
    assert "Vault password" in screen, screen
    os.write(master, (VAULT_PASSWORD + "\n").encode())
    out = proc.stdout.read().decode()
    assert proc.wait(timeout=60) == 0, screen
    assert len(out.split()) == 2 and all(c.isdigit() for c in "".join(out.split()))  # the two codes
    assert seed[:8] in home.age_decrypt()
    os.close(master)


def test_a_bulk_export_on_a_terminal_asks_why_and_for_confirmation(home):
    home.rk("seeds", "import", "-", input=f"Account #,Account Name,Account Email,MFA Seed\n111111111111,prod,,"
                                            f"{random_seed()}\n", check=True)
    term = Terminal(["seeds", "export"], home.root, tty_env(home))
    term.expect("Why export every seed in plaintext?")
    term.send("escrow copy (CHG-9)\n")
    term.expect("Write every seed in plaintext to standard output?")
    term.send("n\n")
    assert term.finish() != 0
    assert "111111111111" not in term.screen.split("standard output?")[-1]
    assert "seeds.export" not in home.journal.read_text()


def test_the_key_ceremony_shows_the_consoles_steps_then_takes_the_serial_it_recorded(home):
    home.rk("custody", "init", "plan.toml", check=True)
    term = Terminal(["custody", "add-device", "plan.toml", "yubikey-1", "111122223333", "--place", "bank-box-b"],
                    home.root, tty_env(home) | {"COLUMNS": "80"})
    screen = term.expect("The identifier the console shows for it")
    assert "Device name: type yubikey-1" in screen and "Passkey or security key" in screen
    term.send("arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP\r")
    assert term.finish() == 0, term.screen
    assert '"111122223333" = "arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCDEFGHIJKLMNOP"' in (
        home.root / "plan.toml").read_text()
