"""Where things are and how to unlock them, for one command.

A Workspace holds the resolved paths and the *providers* of secrets (callables,
so that a prompt appears only when a store is really opened). Each store is
opened at most once per command: one key derivation per store, never one per
account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import AuthError, ConfigError, InputError, RootkeeperError
from .storage import fsutil, syncfolder, transaction
from .storage.fsutil import StoredFile
from .storage.journal import Journal
from .storage.transaction import StoreLocks
from .stores.seeds import SeedStore
from .stores.seeds.store import to_passphrase

if TYPE_CHECKING:
    from .storage.settings import Settings
    from .stores.vault import Vault


@dataclass
class Credentials:
    vault_password: Callable[[], str]
    seeds_passphrase: Callable[[], str]
    seeds_identities: Callable[[], list[str] | None]  # None: no identity was given
    sources: dict[str, str] = field(default_factory=dict)  # secret -> where it came from (never what it is)
    # Can this secret ("vault password", "seed-store passphrase", "age identity") be had without asking for it
    # yet (a file, the environment, a prompt on a terminal)? The command line says; a library caller gives them.
    given: Callable[[str], bool] = lambda _what: True  # noqa: E731

    def explained(self, error: AuthError, *secrets: str) -> AuthError:
        """``error`` naming where the secrets it is about came from: an old password in an environment
        variable, or another custodian's identity file, is then plain to see."""
        told = [f"the {what} came from {self.sources[what]}" for what in secrets if self.sources.get(what)]
        return AuthError(f"{error.message} ({'; '.join(told)})") if told else error


@dataclass
class Workspace:
    settings: Settings  # the command's paths and knobs, resolved once (settings.resolve)
    credentials: Credentials
    writer: bool = False  # hold each store's lock from the moment it is read until it is written
    stamps: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # for the person: what was found but did not stop the command
    _vault: Vault | None = None  # noqa: F821
    _seeds: SeedStore | None = None
    _vault_segregated: bool = False  # the vault was checked for seeds (opened with segregation)
    _locks: StoreLocks = field(default_factory=StoreLocks)
    # Told of every record written (``send(event, stamp)``) and waited for at the end (``finish()`` -> warnings):
    # the break-glass notifier (org/notify.py) when [notify] is configured; set by the command line.
    notifier: object | None = None

    config = property(lambda self: self.settings.config)
    vault_path = property(lambda self: self.settings.vault)
    seeds_path = property(lambda self: self.settings.seeds)
    key_file = property(lambda self: self.settings.vault_key_file)
    journal_path = property(lambda self: self.settings.journal)

    def require_vault_path(self) -> Path:
        return self._required(self.vault_path, "vault", "--vault PATH, set ROOTKEEPER_VAULT")

    def require_seeds_path(self, *, exists: bool = True) -> Path:
        return self._required(self.seeds_path, "seed store", "--seeds PATH, set ROOTKEEPER_SEEDS", exists)

    @staticmethod
    def _required(path: Path | None, what: str, how: str, exists: bool = True) -> Path:
        """``path`` of a store, which must be given (and, unless a command creates it, exist)."""
        if path is None:
            raise ConfigError(f"no {what} given: pass {how}, or run where rootkeeper.toml is (or --config FILE)")
        if exists and not path.exists():
            raise ConfigError(f"{what} {path} does not exist: check the path, or create it with 'rootkeeper init'")
        return path

    def vault(self, *, segregation: bool = True, with_seeds: bool = False) -> Vault:
        """The vault, opened once. ``segregation=False``: a vault holding a seed opens anyway (for a
        check that reports it); every other caller refuses a seed no entry holds, also when the vault was
        opened before without it, and is warned of each entry holding one (that entry is refused).
        ``with_seeds``: open the seed store too, while the vault's key is derived (a command that reads
        both; the store is opened either way when it is asked for)."""
        if self._vault is not None and segregation and not self._vault_segregated:
            self._segregated(self._vault)  # opened earlier by a check that reports seeds: the rule applies now
        if self._vault is None:
            path = self.require_vault_path()
            self.ready_to_open(vault=True, seeds=with_seeds)
            from .stores.vault import Vault

            self._hold(path)
            # With the seed store to read too, it is opened while the vault's key is derived.
            try:
                vault = Vault.open(path, self.credentials.vault_password(), self.key_file, segregation=False,
                                   meanwhile=self.seeds if with_seeds else None)
            except AuthError as exc:
                raise self.credentials.explained(exc, "vault password") from None
            self.journal().check_mark(vault.mark, f"vault {path}", lambda: len(vault.entries(include_retired=True)))
            if segregation:
                self._segregated(vault)
            self.warnings += syncfolder.warnings(path)
            self._vault = vault
        return self._vault

    def _segregated(self, vault: Vault) -> None:
        """The rule for the live vault: a seed no entry holds refuses it; a seed in an entry refuses that entry
        (``Vault.usable``) and is a warning to every command (a caller without the rule reports seeds itself)."""
        vault.check_segregation(whole=False)
        self._vault_segregated = True
        self.warnings += vault.entry_breaches()

    def opened_vault(self) -> Vault | None:
        """The vault if this command already opened it (never prompts)."""
        return self._vault

    def seeds(self) -> SeedStore:
        if self._seeds is None:
            path = self.require_seeds_path()
            self._hold(path)
            store = self.open_seeds(path)
            self.journal().check_mark(store.mark, f"seed store {path}", lambda: len(store.rows))
            self.warnings += syncfolder.warnings(path)
            self._seeds = store
        return self._seeds

    def _hold(self, path: Path) -> None:
        """A writer reads a store under its lock and keeps it until the store is written (``StoreLocks``)."""
        if self.writer:
            self._locks.take([p for p in (path, self.vault_path, self.seeds_path) if p is not None])

    def release(self, path: Path | None = None) -> None:
        """Release the lock held on ``path`` (every lock, without one: the command ends, and its notifications
        are waited for)."""
        self._locks.release(path)
        if path is None and self.notifier is not None:
            self.warnings += self.notifier.finish()

    def _notify(self, events: list[dict], stamps: list[tuple[int, str]]) -> None:
        if self.notifier is not None:
            for event, stamp in zip(events, stamps, strict=False):
                self.notifier.send(event, stamp)

    def ready_to_open(self, *, vault: bool, seeds: bool) -> None:
        """Refuse before any prompt and any key derivation when a store the command opens cannot be opened
        with what was given (a vault password asked for, its key derived, then the seed store refused for
        want of an identity, is a prompt and a second of Argon2 for nothing)."""
        if vault:
            path = self.require_vault_path()
            if self._vault is None and not self.credentials.given("vault password"):
                raise InputError(f"no vault password for {path}: give --vault-password-file FILE (or - for stdin), "
                                 "set ROOTKEEPER_VAULT_PASSWORD, or run on a terminal")
        if seeds and self._seeds is None:
            path = self.require_seeds_path()
            if _passphrase_store(path):
                if not self.credentials.given("seed-store passphrase"):
                    raise InputError(f"seed store {path} is encrypted to a passphrase: give --seeds-passphrase-file "
                                     "FILE, set ROOTKEEPER_SEEDS_PASSPHRASE, or run on a terminal")
            elif not self.credentials.given("age identity"):
                raise AuthError(f"seed store {path} is encrypted to age recipients: give --seeds-identity FILE "
                                "or ROOTKEEPER_SEEDS_IDENTITY (or --seeds-shares FILE)")

    def open_seeds(self, path: Path) -> SeedStore:
        """A seed store at ``path`` (the configured one, or a copy), opened with this command's secrets."""
        try:
            if _passphrase_store(path):
                return SeedStore.open(path, passphrase=self.credentials.seeds_passphrase(),
                                      recipients=self.config.recipients)
            identities = self.credentials.seeds_identities()
            return SeedStore.open(path, identities=identities or [], recipients=self.config.recipients)
        except AuthError as exc:
            raise self.credentials.explained(exc, "seed-store passphrase", "age identity") from None

    def open_vault(self, path: Path) -> Vault:
        """A copy of the vault at ``path``, opened with this command's password and key file."""
        from .stores.vault import Vault

        try:
            return Vault.open(path, self.credentials.vault_password(), self.key_file)
        except AuthError as exc:
            raise self.credentials.explained(exc, "vault password") from None

    def journal(self) -> Journal:
        return Journal(self.journal_path)

    def journal_ready(self) -> None:
        """Refuse early, before work that cannot be undone (AWS calls), if the journal could not take
        a record. A store change needs no call: ``commit`` verifies the journal before any write."""
        transaction.ready(self.journal())

    def commit(self, stores: list[StoredFile], *events: dict) -> list[tuple[int, str]]:
        """Write the changed stores and record ``events``, so that no change goes unrecorded
        (``transaction.commit``): both stores or neither, each checked against what was read."""
        mark = self.journal().mark()  # the stores name this journal and its last record (None while it has none)
        for store in stores:
            if hasattr(store, "mark"):
                store.mark = mark
        changes = [store.prepare() for store in stores]
        stamps = transaction.commit(self.journal(), changes, list(events), mark=mark)
        self._notify(list(events), stamps)
        for store, (path, data, _old) in zip(stores, changes, strict=True):
            store.committed(data)
            self.release(path)
        self.stamps += stamps
        self._note_names(stores)
        return stamps

    def _note_names(self, stores: list[StoredFile]) -> None:
        """The account ids and names of the stores just written, added to ``<journal>.accounts`` for shell
        completion (which opens no store): derived, no secret, never read as custody; a failure to write it is
        no failure of the command."""
        names = {r.account_id: r.account_name for r in self._seeds.active_rows()} if self._seeds in stores else {}
        if self._vault is not None and self._vault in stores:
            names.update({e.account_id: e.name for e in self._vault.entries() if e.account_id})
        if not names:
            return
        path = Path(str(self.journal_path) + ".accounts")
        try:
            with fsutil.file_lock(path):
                known = dict(line.split("\t", 1) for line in (path.read_text().splitlines() if path.exists() else [])
                             if "\t" in line)
                known.update(names)
                fsutil.atomic_write(path, "".join(f"{i}\t{n}\n" for i, n in sorted(known.items())).encode())
        except (OSError, RootkeeperError, ValueError):
            pass

    def write_files(self, changes: list[tuple], *events: dict) -> list[tuple[int, str]]:
        """Write files that are not stores (media, sheets, shares: ``(path, data, bytes read or None, mode)``)
        and record ``events`` after they are written (``transaction.commit``): a write that fails leaves every
        file as it was, and no record."""
        stamps = transaction.commit(self.journal(), changes, list(events))
        self.stamps += stamps
        return stamps

    def anchor(self) -> str:
        """The journal record a report stands on: the last this command wrote, or the journal's last
        ("N sha256:HASH"; "" while the journal has no record)."""
        if self.stamps:
            seq, digest = self.stamps[-1]
            return f"{seq} sha256:{digest}"
        mark = self.journal().mark()
        return f"{mark.seq} sha256:{mark.hash}" if mark else ""

    def record(self, *events: dict) -> list[tuple[int, str]]:
        stamps = transaction.append(self.journal(), list(events))
        self.stamps += stamps
        self._notify(list(events), stamps)
        return stamps


def _passphrase_store(path: Path) -> bool:
    """Is the age file at ``path`` encrypted to a passphrase (its header says)?"""
    with open(path, "rb") as handle:
        return to_passphrase(handle.read(4096))
