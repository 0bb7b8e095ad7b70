"""Every setting of a command, resolved once and in one order: flag > environment > rootkeeper.toml > default.

``resolve(flags)`` gives one frozen ``Settings``: the paths of the configuration, the stores and the journal,
where each secret comes from, and the knobs (the lock wait, the AWS timeouts). No secret is ever a value
here: a secret is named by where it comes from (a file given by a flag, or the environment variable
``SECRETS`` names), and read only when a store is opened. Nothing else in rootkeeper reads a
``ROOTKEEPER_*`` variable (botocore reads the ``AWS_*`` ones, as the SDKs document them).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .config import DEFAULT_JOURNAL, DEFAULT_NAME, Config, load

# Each setting's environment variable (the flag has the setting's name: vault_key_file is --vault-key-file).
VARIABLES = {
    "config": "ROOTKEEPER_CONFIG", "vault": "ROOTKEEPER_VAULT", "seeds": "ROOTKEEPER_SEEDS",
    "vault_key_file": "ROOTKEEPER_VAULT_KEY_FILE", "journal": "ROOTKEEPER_JOURNAL",
    "seeds_identity": "ROOTKEEPER_SEEDS_IDENTITY", "seeds_shares": "ROOTKEEPER_SEEDS_SHARES",
    "lock_wait": "ROOTKEEPER_LOCK_WAIT", "aws_connect_timeout": "ROOTKEEPER_AWS_CONNECT_TIMEOUT",
    "aws_read_timeout": "ROOTKEEPER_AWS_READ_TIMEOUT", "aws_call_budget": "ROOTKEEPER_AWS_CALL_BUDGET",
    "aws_propagation_wait": "ROOTKEEPER_AWS_PROPAGATION_WAIT", "sync_folder": "ROOTKEEPER_SYNC_FOLDER",
}
# The secrets that may come from the environment (each also from a file or a prompt, never a flag's value).
SECRETS = {"vault password": "ROOTKEEPER_VAULT_PASSWORD", "seed-store passphrase": "ROOTKEEPER_SEEDS_PASSPHRASE",
           "key shares' passphrase": "ROOTKEEPER_SHARES_PASSPHRASE",
           "migrated database's password": "ROOTKEEPER_FROM_PASSWORD"}
# Seconds: (default, most); a lock may be waited for 0 s (fail at once), an AWS timeout must be more.
KNOBS = {"lock_wait": (10.0, 600.0), "aws_connect_timeout": (5.0, 3600.0), "aws_read_timeout": (20.0, 3600.0),
         "aws_call_budget": (45.0, 3600.0), "aws_propagation_wait": (180.0, 3600.0)}


@dataclass(frozen=True)
class Settings:
    config: Config = field(default_factory=Config)
    config_path: Path = Path(DEFAULT_NAME)  # where the configuration is, or would be written (init)
    config_from: str = ""  # how it was found ("--config", its variable, "found in the working directory"...; "": none)
    journal_from: str = "the default"  # "--journal", its variable, "as configured" or "the default"
    vault: Path | None = None
    seeds: Path | None = None
    vault_key_file: Path | None = None
    journal: Path = Path(DEFAULT_JOURNAL)
    vault_password_file: str | None = None  # a path, or "-" for stdin
    seeds_passphrase_file: str | None = None
    seeds_identity: str | None = None
    seeds_shares: str | None = None
    profile: str | None = None
    region: str | None = None
    lock_wait: float = KNOBS["lock_wait"][0]
    aws_connect_timeout: float = KNOBS["aws_connect_timeout"][0]
    aws_read_timeout: float = KNOBS["aws_read_timeout"][0]
    aws_call_budget: float = KNOBS["aws_call_budget"][0]
    aws_propagation_wait: float = KNOBS["aws_propagation_wait"][0]
    sync_folder: str = "refuse"  # "single-writer": this machine is the one that changes stores in a sync folder

    def used(self) -> str | None:
        """Which configuration and journal a command uses, for stderr, when they were not given explicitly
        (a team member in another directory sees that this is not the team's); None when both were."""
        if self.config_from.startswith(("--", "ROOTKEEPER_")) and self.journal_from != "the default":
            return None
        where = (f"{self.config_path} ({self.config_from})" if self.config_from else
                 "none (none in the working directory, none in your configuration directory)")
        return f"configuration: {where}; journal: {self.journal} ({self.journal_from})"


def user_config_file(environ: Mapping[str, str] | None = None) -> Path:
    """The user's rootkeeper.toml: in ``$XDG_CONFIG_HOME`` (else ``~/.config``), ``%APPDATA%`` on Windows,
    ``~/Library/Application Support`` on macOS; inside a ``rootkeeper`` folder."""
    import sys

    environ = os.environ if environ is None else environ
    if os.name == "nt":
        base = environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rootkeeper" / DEFAULT_NAME


def secret_from_environment(what: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The secret ``what`` (a key of ``SECRETS``) from its environment variable, if set and not empty."""
    return (os.environ if environ is None else environ).get(SECRETS[what]) or None


def resolve(flags: Callable[[str], str | None], environ: Mapping[str, str] | None = None, *,
            read_config: bool = True) -> Settings:
    """The settings of one command. ``flags``: a flag's value by setting name (None when not given).
    ``read_config=False``: the configuration is not read (init, which writes it)."""
    environ = os.environ if environ is None else environ

    def given(name: str) -> str | None:
        value = flags(name)
        if value in (None, "") and name in VARIABLES:
            value = environ.get(VARIABLES[name])
        return value or None

    def path(name: str) -> Path | None:
        value = given(name)
        return Path(value) if value else None

    chosen = given("config")
    if chosen:
        config_path = Path(chosen)
        found = "--config" if flags("config") else VARIABLES["config"]
    else:  # the working directory's, else the user's (a team member working from another directory)
        config_path, found = next(((p, where) for p, where in ((Path(DEFAULT_NAME), "found in the working directory"),
                                                                (user_config_file(environ), "found in your configuration directory"))
                                   if p.is_file()), (Path(DEFAULT_NAME), ""))
    config = load(config_path, explicit=bool(chosen)) if read_config else Config()
    base = config.base if read_config else config_path.parent  # the journal's default is beside the configuration
    knobs = {name: _seconds(environ, name) for name in KNOBS}
    journal = path("journal")
    journal_from = ("--journal" if flags("journal") else VARIABLES["journal"]) if journal else \
        "as configured" if config.journal else "the default"
    return Settings(
        config=config, config_path=config_path, config_from=found if read_config else "", journal_from=journal_from,
        vault=path("vault") or config.vault, seeds=path("seeds") or config.seeds,
        vault_key_file=path("vault_key_file") or config.vault_key_file,
        journal=journal or config.journal or base / DEFAULT_JOURNAL,
        vault_password_file=flags("vault_password_file") or None,
        seeds_passphrase_file=flags("seeds_passphrase_file") or None,
        seeds_identity=given("seeds_identity"), seeds_shares=given("seeds_shares"),
        profile=flags("profile") or None, region=flags("region") or None, **knobs,
        sync_folder=_policy(given("sync_folder")),
    )


def of_config(path: str | Path) -> Settings:
    """The settings a configuration file gives alone (no flag, no environment): the demo's, a test's."""
    return resolve(lambda name: str(path) if name == "config" else None, environ={})


def _policy(text: str | None) -> str:
    from . import syncfolder

    value = (text or "refuse").strip().lower()
    if value not in syncfolder.POLICIES:
        raise ConfigError(f"--sync-folder / {VARIABLES['sync_folder']}={text!r} is not a policy: give 'refuse' (the "
                          "default) or 'single-writer'")
    return value


def _seconds(environ: Mapping[str, str], name: str) -> float:
    default, most = KNOBS[name]
    text = environ.get(VARIABLES[name])
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    least = 0.0 if name == "lock_wait" else 0.001
    if not least <= value <= most:  # NaN fails too
        raise ConfigError(f"{VARIABLES[name]}={text!r} is not a number of seconds: give one from {least:g} to "
                          f"{most:g}, or unset it")
    return value
