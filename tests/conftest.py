"""Test harness: the CLI runs as a real subprocess; independent programs are the oracles."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
VAULT_PASSWORD = "correct horse battery staple 42"
SEEDS_PASSPHRASE = "another long passphrase for seeds"
# Tiny Argon2id parameters keep the suite quick; benchmarks use realistic ones.
TINY_KDF = ["--kdf-memory-mib", "1", "--kdf-iterations", "1", "--kdf-parallelism", "1"]
# tests/platform/test_<system>.py run on that system only (.github/workflows/platforms.yml), never skipped here
collect_ignore_glob = [f"platform/test_{system}.py" for system, here in (("windows", os.name == "nt"),
                                                                           ("macos", sys.platform == "darwin"))
                       if not here]


def oracle(name: str) -> str:
    """Path of an independent program; missing is a failure under CI, a skip elsewhere."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (make tools installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOTKEEPER_")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "ROOTKEEPER_LOCK_WAIT": "0.5", "PYTHONDONTWRITEBYTECODE": "1",
                # no user configuration from the machine running the tests (a test sets its own)
                "XDG_CONFIG_HOME": str(Path(tempfile.gettempdir()) / "rootkeeper-tests-no-user-configuration")})
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def run(args, *, cwd: Path, input: bytes | str | None = None, env: dict | None = None,
        check: bool = False) -> subprocess.CompletedProcess:
    if isinstance(input, str):
        input = input.encode()
    result = subprocess.run([sys.executable, "-m", "rootkeeper", *map(str, args)], cwd=cwd,
                            input=input if input is not None else b"", capture_output=True,
                            env=env or base_env(), timeout=120,
                            start_new_session=True)  # no controlling terminal: a prompt there would wait
    result.out = result.stdout.decode(errors="replace")  # a PDF on stdout is bytes
    result.err = result.stderr.decode()
    if check and result.returncode != 0:
        raise AssertionError(f"rootkeeper {' '.join(map(str, args))} exited {result.returncode}: {result.err}")
    return result


def assert_clean_failure(result, code: int = 2, contains: str | None = None) -> None:
    """Exit status, exactly one 'error:' line, no traceback."""
    assert result.returncode == code, (result.returncode, result.out, result.err)
    lines = [ln for ln in result.err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1, result.err
    assert "Traceback" not in result.err and "Traceback" not in result.out
    if contains:
        assert contains.lower() in errors[0].lower(), errors[0]


@contextlib.contextmanager
def lock_held(path: Path):
    """Another process holding ``path``'s lock (as a rootkeeper in the middle of a write would) until the block
    ends: yields its process."""
    code = ("import sys, time; from pathlib import Path; from rootkeeper.storage import fsutil\n"
            "with fsutil.file_lock(Path(sys.argv[1]), wait=5):\n    print('holding', flush=True); time.sleep(120)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, env=base_env())
    try:
        assert holder.stdout.readline().strip() == b"holding"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes; a lock sidecar left empty (``.<file>.rootkeeper-lock``: no data,
    kept so that a waiter and the next taker lock the same file) is not one."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and not (p.name.endswith(".rootkeeper-lock") and p.stat().st_size == 0)}


@dataclass
class Home:
    """An initialised rootkeeper: vault and seed store in separate directories."""

    root: Path
    vault: Path
    seeds: Path
    identity: Path
    public: str
    password_file: Path
    passphrase_file: Path

    @property
    def config(self) -> Path:
        return self.root / "rootkeeper.toml"

    @property
    def journal(self) -> Path:
        return self.root / "rootkeeper-journal.jsonl"

    def creds(self) -> list[str]:
        return ["--vault-password-file", self.password_file, "--seeds-identity", self.identity,
                "--seeds-passphrase-file", self.passphrase_file]

    def rk(self, *args, input=None, env=None, creds=True, check=False):
        extra = self.creds() if creds else []
        return run([*args, *extra], cwd=self.root, input=input, env=env, check=check)

    def age_decrypt(self) -> str:
        age = oracle("age")
        out = subprocess.run([age, "-d", "-i", self.identity, self.seeds], capture_output=True, check=True)
        return out.stdout.decode()

    def kpcli(self, *args, stdin: str | None = None) -> str:
        cli = oracle("keepassxc-cli")
        result = subprocess.run([cli, args[0], *args[1:]], input=(stdin if stdin is not None else VAULT_PASSWORD + "\n").encode(),
                                capture_output=True, env=base_env(), timeout=60)
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()


def make_identity(path: Path) -> str:
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    path.write_text(f"# test custodian\n{identity}\n")
    return str(identity.to_public())


@pytest.fixture
def home(tmp_path: Path) -> Home:
    (tmp_path / "vault").mkdir()
    (tmp_path / "seeds").mkdir()
    keys = tmp_path / "keys"
    keys.mkdir()
    identity = keys / "custodian.agekey"
    public = make_identity(identity)
    password_file = keys / "vault-password"
    password_file.write_text(VAULT_PASSWORD + "\n")
    passphrase_file = keys / "seeds-passphrase"
    passphrase_file.write_text(SEEDS_PASSPHRASE + "\n")
    h = Home(tmp_path, tmp_path / "vault" / "aws-root.kdbx", tmp_path / "seeds" / "mfa.csv.age", identity, public,
             password_file, passphrase_file)
    run(["init", "--vault", h.vault, "--seeds", h.seeds, "--seeds-recipient", public, *TINY_KDF,
         "--vault-password-file", password_file], cwd=tmp_path, check=True)
    return h


def random_seed(nbytes: int = 40) -> str:
    import base64

    return base64.b32encode(os.urandom(nbytes)).decode().rstrip("=")


# ---------------------------------------------------------------- the simulated organization
@pytest.fixture(scope="session")
def sim_server():
    """moto's server, extended with root-user state and AssumeRoot, on 127.0.0.1 (one per session)."""
    from rootkeeper.sim.org import SimOrg

    sim = SimOrg()
    url, server = sim.serve()
    yield sim, url
    server.shutdown()


@pytest.fixture
def sim(sim_server):
    """A fresh simulated organization for one test; afterwards, every answer it sent must have
    kept botocore's model (sim/contract.py): a member AWS does not define, a wrong type or a
    missing required member fails the test that provoked it."""
    sim, url = sim_server
    sim.reset()
    sim.url = url
    yield sim
    assert not sim.violations, "the simulator broke AWS's contract:\n" + "\n".join(dict.fromkeys(sim.violations))


def aws_env(url: str, **extra: str) -> dict[str, str]:
    """The CLI's environment: unmodified boto3, pointed at the simulator, no real AWS configuration."""
    env = {k: v for k, v in base_env().items() if not k.startswith("AWS_")}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIDMANAGEMENT", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_MAX_ATTEMPTS": "4", "AWS_EC2_METADATA_DISABLED": "true"})
    env.update(extra)
    return env


def key_medium(name: str, kind: str, where: str, devices: dict[str, str], label: str | None = None) -> str:
    """A custody plan's [[medium]] that is root's FIDO key or hardware token (``where``: 'place = "..."' or
    'holder = "..."'), registered with ``devices`` (account id -> the serial AWS shows)."""
    table = ", ".join(f'"{account}" = "{serial}"' for account, serial in devices.items())
    return (f'\n[[medium]]\nname = "{name}"\nkind = "{kind}"\nlabel = "{label or name}"\n{where}\n'
            f"devices = {{ {table} }}\n")
