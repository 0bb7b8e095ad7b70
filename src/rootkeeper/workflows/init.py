"""``init``: create the vault, the seed store and ``rootkeeper.toml``, or nothing at all."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ExistsError, InputError
from ..rules.accounts import DEFAULT_EMAIL_TEMPLATE, render_email
from ..storage import config as configmod
from ..storage import fsutil, syncfolder
from ..storage.journal import Journal
from ..stores.seeds import SeedStore, validate_recipient
from ..stores.vault import KdfParams, Vault, make_key_file

MIN_MASTER = 12


@dataclass
class InitPlan:
    config_path: Path
    vault: Path
    seeds: Path
    journal: Path
    key_file: Path | None = None
    recipients: list[str] = field(default_factory=list)
    email_template: str = DEFAULT_EMAIL_TEMPLATE
    kdf: KdfParams = field(default_factory=KdfParams)
    allow_same_directory: bool = False

    def check(self) -> list[str]:
        """Every refusal, before anything is written. Returns warnings."""
        warnings = self.kdf.check()
        for label, path in (("configuration", self.config_path), ("vault", self.vault),
                            ("seed store", self.seeds)):
            target = fsutil.real(path)  # a symbolic link is followed: the file is created at its target
            if path.exists() or target.exists():
                raise ExistsError(f"{label} {path} already exists: refusing to overwrite it; choose another path or move it away")
            if not target.parent.is_dir():
                raise InputError(f"directory {target.parent} for the {label} does not exist: create it first")
        vault, seeds = fsutil.real(self.vault), fsutil.real(self.seeds)
        syncfolder.check_writes([vault, seeds, fsutil.real(self.journal)])
        if not self.allow_same_directory:
            check_apart(vault, seeds, " (or --allow-same-directory for a test)")
        elif same_directory(vault, seeds) and vault.name.casefold() == seeds.name.casefold():
            raise InputError("the vault and the seed store must be two different files")
        if self.allow_same_directory and same_directory(vault, seeds):
            warnings.append("vault and seed store share a directory: move one before real use")
        self.recipients = [validate_recipient(r) for r in self.recipients]
        render_email(self.email_template, "123456789012", "example")
        if self.key_file is not None and self.key_file.exists() and self.key_file.is_dir():
            raise InputError(f"key file {self.key_file} is a directory")
        if self.key_file is not None and same_directory(fsutil.real(self.key_file), vault):
            warnings.append("the key file is next to the vault: keep it on other media, or it adds nothing")
        return warnings


def same_directory(one: Path, other: Path) -> bool:
    """Are two files in one directory? By device and inode where both directories exist: another spelling on
    a case-insensitive file system (APFS, NTFS, SMB: 'Share/Vault' and 'share/vault'), a bind mount or a second
    mount of one share is the same directory; by their resolved paths otherwise."""
    import os

    try:
        return os.path.samefile(one.parent, other.parent)
    except OSError:
        return one.parent == other.parent


def check_apart(vault: Path, seeds: Path, hint: str = "") -> None:
    """The one rule for where a seed store may be made: never the vault's file, never in its directory."""
    vault, seeds = fsutil.real(vault), fsutil.real(seeds)
    if vault == seeds:
        raise InputError("the vault and the seed store must be two different files")
    if same_directory(vault, seeds):
        raise InputError(
            f"the vault and the seed store are both in {vault.parent}: whoever copies that "
            f"directory gets both factors; put them on different media{hint}"
        )


def check_master(password: str, what: str) -> None:
    if len(password) < MIN_MASTER:
        raise InputError(f"the {what} has {len(password)} characters: choose at least {MIN_MASTER} (a passphrase of 5+ words is best)")


def init(plan: InitPlan, vault_password: str, seeds_passphrase: str | None) -> list[str]:
    """Create both stores and the configuration. On any failure, remove what this call created."""
    warnings = plan.check()
    check_master(vault_password, "vault password")
    if not plan.recipients:
        if not seeds_passphrase:
            raise InputError("the seed store needs a passphrase or --seeds-recipient age1...")
        check_master(seeds_passphrase, "seed-store passphrase")
        if seeds_passphrase == vault_password:
            raise InputError("the seed-store passphrase equals the vault password: one leak would open both; choose another")
    created: list[Path] = []
    try:
        if plan.key_file is not None and not plan.key_file.exists():
            fsutil.write_new(plan.key_file, make_key_file())
            created.append(plan.key_file)
        mark = Journal(plan.journal).mark()  # a journal the team already keeps: the stores belong to it
        Vault.create(plan.vault, vault_password, plan.key_file, plan.kdf, mark)
        created.append(plan.vault)
        store = SeedStore.new(plan.seeds, passphrase=None if plan.recipients else seeds_passphrase,
                              recipients=plan.recipients)
        store.mark = mark
        store.create()
        created.append(plan.seeds)
        text = configmod.render(plan.config_path, plan.vault, plan.seeds, plan.journal,
                                key_file=plan.key_file, recipients=plan.recipients,
                                email_template=plan.email_template)
        fsutil.write_new(plan.config_path, text.encode("utf-8"), mode=0o644)
        created.append(plan.config_path)
    except BaseException:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                os.unlink(fsutil.real(path))
        raise
    return warnings
