"""The seed store: the root users' virtual-MFA seeds, and nothing else, in an age file.

Encrypted to a passphrase (scrypt) or to custodians' X25519 recipients; ``age -d``
alone recovers the CSV of ``formats``. Rows live in memory; ``save()`` re-encrypts
and replaces the file (checked and locked, see ``fsutil.StoredFile``).
"""

from __future__ import annotations

from pathlib import Path

from ...errors import AuthError, CorruptError, ExistsError, InputError, NotFoundError, SegregationError
from ...rules.accounts import lookup
from ...rules.devices import device_name, several_problem
from ...rules.redaction import AGE_IDENTITY, shown_key, shown_path
from ...storage import fsutil
from ...storage.journal import Mark
from .formats import SeedRow, check_row, find_in_store, parse_store, recipients_fingerprint, store_marks, to_csv

AGE_MAGIC = b"age-encryption.org/v1\n"
AGE_ARMOR = b"-----BEGIN AGE ENCRYPTED FILE-----"


def to_passphrase(head: bytes) -> bool:
    """Is the age file beginning with ``head`` encrypted to a passphrase (an scrypt stanza), not to recipients?"""
    return head.startswith(AGE_MAGIC) and b"\n-> scrypt " in head.split(b"\n---", 1)[0]


def _decrypt(data: bytes, path: Path, passphrase: str | None, identities: list[str] | None) -> bytes:
    import pyrage

    if not (data.startswith(AGE_MAGIC) or data.lstrip().startswith(AGE_ARMOR)):
        raise CorruptError(f"seed store {path} is not an age file (empty, truncated or damaged): restore it from a copy")
    if to_passphrase(data):
        if passphrase is None:
            raise AuthError(
                f"seed store {path} is encrypted to a passphrase: give --seeds-passphrase-file "
                "or ROOTKEEPER_SEEDS_PASSPHRASE, not an identity"
            )
        try:
            return pyrage.passphrase.decrypt(data, passphrase)
        except pyrage.DecryptError as exc:
            if "failed" in str(exc).lower():
                raise AuthError(f"wrong passphrase for seed store {path} (or its header is damaged): try again") from None
            raise CorruptError(f"seed store {path} is truncated or corrupted: restore it from a copy") from None
    if not identities:
        raise AuthError(
            f"seed store {path} is encrypted to age recipients: give --seeds-identity FILE "
            "or ROOTKEEPER_SEEDS_IDENTITY"
        )
    keys = []
    for text in identities:
        try:
            keys.append(pyrage.x25519.Identity.from_str(text))
        except pyrage.IdentityError:
            raise InputError("the age identity file holds no valid AGE-SECRET-KEY-1 line") from None
    try:
        return pyrage.decrypt(data, keys)
    except pyrage.DecryptError as exc:
        if "no matching keys" in str(exc).lower():
            raise AuthError(f"the age identity given does not open seed store {path}: use a custodian's identity "
                            "(if it is the right one, the file's header is damaged: restore it from a copy)") from None
        raise CorruptError(f"seed store {path} is truncated or corrupted: restore it from a copy") from None


def read_identity_file(path: Path) -> list[str]:
    text = fsutil.read_bytes(path, "age identity file", secret=True, limit=1024 * 1024).decode("utf-8", "replace")
    keys = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(AGE_IDENTITY)]
    if not keys:
        raise InputError(f"{shown_path(path)} holds no AGE-SECRET-KEY-1 line: give an identity made by age-keygen")
    return keys


def generate_identity() -> tuple[str, str]:
    """A new age X25519 identity: (secret ``AGE-SECRET-KEY-1...``, public ``age1...``)."""
    import pyrage

    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def public_of(identity: str) -> str:
    """The recipient (``age1...``) of an ``AGE-SECRET-KEY-1...`` identity."""
    import pyrage

    try:
        return str(pyrage.x25519.Identity.from_str(identity.strip()).to_public())
    except pyrage.IdentityError:
        raise InputError("that is not an age X25519 identity (AGE-SECRET-KEY-1...)") from None


def validate_recipient(text: str) -> str:
    import pyrage

    try:
        pyrage.x25519.Recipient.from_str(text.strip())
    except pyrage.RecipientError:
        if text.strip().upper().startswith(AGE_IDENTITY):
            raise InputError(
                "a --seeds-recipient is an age SECRET key (an identity): never pass it on the command line; "
                "give its public key (age-keygen -y FILE), and consider that key exposed"
            ) from None
        raise InputError(f"{shown_key(text)} is not an age X25519 recipient (age1...): copy it from age-keygen -y") from None
    return text.strip()


class SeedStore(fsutil.StoredFile):
    """An opened seed store. Rows live in memory; ``save()`` re-encrypts and replaces the file.

    The plaintext is read into rows when they are first needed: ``find`` alone (break glass) reads
    only the lines of the account it looks for.
    """

    def __init__(self, path: Path, rows: list[SeedRow] | None, original: bytes | None, *,
                 passphrase: str | None, recipients: list[str], pin: str | None = None, plain: str | None = None) -> None:
        self.path = Path(path)
        self._plain = plain  # the decrypted CSV, until its rows are read
        self._rows = rows
        self.pin = pin  # fingerprint of the recipients the store was encrypted to (its own, authenticated)
        self.mark: Mark | None = None  # the journal it belongs to, as its last write saw it (journal.Mark)
        self._original = original
        self._passphrase = passphrase
        self.recipients = recipients
        self.warnings: list[str] = []
        self._by_id: dict[str, SeedRow] = {}  # each account's first active seed
        self._every: dict[str, list[SeedRow]] = {}  # each account's active seeds, in the store's order
        self._by_seed: dict[str, SeedRow] = {}
        if self._rows is not None:
            self._reindex()

    @property
    def rows(self) -> list[SeedRow]:
        if self._rows is None:
            self._rows, _pin = parse_store(self._plain or "", f"seed store {self.path}")
            self._plain = None
            self._reindex()
        return self._rows

    @rows.setter
    def rows(self, rows: list[SeedRow]) -> None:
        self._rows, self._plain = rows, None

    # -- lifecycle
    @classmethod
    def new(cls, path: Path, *, passphrase: str | None = None, recipients: list[str] | None = None) -> SeedStore:
        if bool(passphrase) == bool(recipients):
            raise InputError("a seed store is encrypted to a passphrase or to recipients: give exactly one")
        recipients = [validate_recipient(r) for r in recipients or []]
        return cls(path, [], None, passphrase=passphrase, recipients=recipients,
                   pin=recipients_fingerprint(recipients) if recipients else None)

    @classmethod
    def open(cls, path: Path, *, passphrase: str | None = None, identities: list[str] | None = None,
             recipients: list[str] | None = None) -> SeedStore:
        path = Path(path)
        data = fsutil.read_bytes(path, "seed store", missing="check the path, or create it with 'rootkeeper init'")
        plain = _decrypt(data, path, passphrase, identities)
        try:
            text = plain.decode("utf-8")
        except UnicodeDecodeError:
            raise CorruptError(f"seed store {path} decrypted to something that is not UTF-8 CSV") from None
        pin, mark = store_marks(text, f"seed store {path}")
        store = cls(path, None, data, passphrase=passphrase if identities is None else None,
                    recipients=list(recipients or []), pin=pin, plain=text)
        store.mark = mark
        if identities is not None:
            import pyrage

            mine = {str(pyrage.x25519.Identity.from_str(k).to_public()) for k in identities}
            store._identity_publics = mine
        return store

    def _reindex(self) -> None:
        """Index the active rows by account and by seed (keeps ``add`` linear over an import). An account may
        have several active seeds, one per virtual MFA device of root: each then names its own device."""
        by_id: dict[str, SeedRow] = {}
        every: dict[str, list[SeedRow]] = {}
        by_seed: dict[str, SeedRow] = {}
        for row in self.rows:
            if row.state == "active":
                kept = every.setdefault(row.account_id, [])
                kept.append(row)
                by_id.setdefault(row.account_id, row)
                by_seed[row.seed] = row
                if len(kept) > 1 and (problem := several_problem([r.device_arn for r in kept])):
                    raise CorruptError(f"seed store {self.path}: account {row.account_id} {problem}: restore it "
                                       "from a copy")
        self._by_id, self._every, self._by_seed = by_id, every, by_seed

    def _validated(self, row: SeedRow) -> SeedRow:
        try:
            checked, _ = check_row(row, f"seed store {self.path}, account {row.account_id}")
        except InputError as exc:
            raise CorruptError(f"{exc}: the seed store is damaged; restore it from a copy") from None
        return checked

    def encrypt(self) -> bytes:
        import pyrage

        self.rows = [self._validated(r) for r in self.rows]
        self._reindex()
        if self._passphrase is not None:
            return pyrage.passphrase.encrypt(to_csv(self.rows, mark=self.mark).encode("utf-8"), self._passphrase)
        if not self.recipients:
            raise InputError(
                "the configuration lists no [seeds] recipients, so the store cannot be re-encrypted: "
                "add the custodians' age1... keys to rootkeeper.toml"
            )
        self.check_recipients()
        if self.pin is None:  # a store written before pins existed: pinned to the set it is written to now
            self.pin = recipients_fingerprint(self.recipients)
            self.warnings.append(f"seed store {self.path}: its recipients are now pinned (sha256:{self.pin})")
        plain = to_csv(self.rows, self.pin, self.mark).encode("utf-8")
        mine = getattr(self, "_identity_publics", None)
        if mine is not None and not mine & set(self.recipients):
            raise InputError(
                "your age identity is not among the configured [seeds] recipients: saving would lock "
                "you out; fix the recipients in rootkeeper.toml"
            )
        return pyrage.encrypt(plain, [pyrage.x25519.Recipient.from_str(validate_recipient(r)) for r in self.recipients])

    def check_recipients(self) -> None:
        """Refuse to encrypt to recipients other than those the store pins (its own, authenticated list)."""
        wanted = recipients_fingerprint(self.recipients)
        if self.pin is not None and wanted != self.pin:
            raise SegregationError(
                f"the [seeds] recipients in the configuration (sha256:{wanted}) are not the ones seed store "
                f"{self.path} is encrypted to (sha256:{self.pin}): someone changed them, or a 'seeds recipients' "
                "change was interrupted; nothing was written. Run that same 'rootkeeper seeds recipients add|remove' "
                "again (it finishes an interrupted change), or restore the recipients list"
            )

    def set_recipients(self, recipients: list[str]) -> None:
        """Re-encrypt to ``recipients`` on the next write, pinning them (the old set must be the pinned one)."""
        self.check_recipients()
        self.recipients = [validate_recipient(r) for r in recipients]
        self.pin = recipients_fingerprint(self.recipients)

    def create(self) -> None:
        fsutil.write_new(self.path, self.encrypt())
        self._original = self.path.read_bytes()

    def payload(self) -> bytes:
        return self.encrypt()

    # -- queries
    def active_rows(self) -> list[SeedRow]:
        return [r for r in self.rows if r.state == "active"]

    def active(self, account_id: str) -> SeedRow | None:
        """The account's first active seed (the one break glass gives unless a device is named)."""
        self.rows  # noqa: B018 - read (and indexed) on first use
        return self._by_id.get(account_id)

    def seeds_of(self, account_id: str) -> list[SeedRow]:
        """Every active seed of the account (one per virtual MFA device of root), in the store's order."""
        self.rows  # noqa: B018
        return list(self._every.get(account_id, []))

    def by_account(self) -> dict[str, list[SeedRow]]:
        """Every account's active seeds."""
        self.rows  # noqa: B018
        return {account: list(rows) for account, rows in self._every.items()}

    def find(self, ref: str, device: str | None = None) -> SeedRow:
        """The active seed of an account given by 12-digit id or exact name: the one of ``device`` (its name or
        ARN), else the account's first."""
        rows = self.find_all(ref)
        if device is None:
            return rows[0]
        return self._validated(self._pick(rows, device))

    def find_all(self, ref: str) -> list[SeedRow]:
        """Every active seed of an account given by 12-digit id or exact name, checked; the account's first
        first. Reads only the account's lines while the store's rows have not been read (break glass)."""
        ref = ref.strip()
        if self._plain is not None and ref:
            found = find_in_store(self._plain, f"seed store {self.path}", ref)
            if found and len({r.account_id for r in found}) == 1:
                if len(found) > 1 and (problem := several_problem([r.device_arn for r in found])):
                    raise CorruptError(f"seed store {self.path}: account {found[0].account_id} {problem}: restore "
                                       "it from a copy")
                return [self._validated(r) for r in found]
            # none, two accounts of one name, or an unusual line: read every row for the precise answer
        self.rows  # noqa: B018
        row = lookup(ref, self._by_id, lambda r: r.account_name, "account in the seed store")
        if row is not None:
            return [self._validated(r) for r in self._every[row.account_id]]
        retired = [r for r in self.rows if ref in (r.account_id, r.account_name)]
        extra = " (it is retired)" if any(r.state == "retired" for r in retired) else ""
        raise NotFoundError(
            f"no active seed for account {ref!r} in the seed store{extra}: check with "
            "'rootkeeper list', or enroll it"
        )

    @staticmethod
    def _pick(rows: list[SeedRow], device: str) -> SeedRow:
        for row in rows:
            if device.strip() and device.strip() in (row.device_arn, device_name(row.device_arn)):
                return row
        named = ", ".join(device_name(r.device_arn) or "(no device recorded)" for r in rows)
        raise NotFoundError(f"account {rows[0].account_id} has no seed of MFA device {device.strip()!r} in the seed "
                            f"store (its seeds' devices: {named}): name one of them")

    def device_seed(self, account_id: str, device: str) -> SeedRow:
        """The account's active seed of ``device`` (a device name or ARN)."""
        rows = self.seeds_of(account_id)
        if not rows:
            raise NotFoundError(f"no active seed for account {account_id} in the seed store")
        return self._pick(rows, device)

    # -- changes
    def refuse_foreign(self, row: SeedRow, where: str = "") -> None:
        """Refuse a seed that is already another account's active seed."""
        self.rows  # noqa: B018
        other = self._by_seed.get(row.seed)
        if other is not None and other.account_id != row.account_id:
            raise InputError(
                f"{where or 'this seed'}: account {other.account_id} already has this very seed: "
                "each account's seed is its own; copy the right one"
            )

    def add(self, row: SeedRow, *, replace_existing: bool = False, another: bool = False, where: str = "",
            replace_option: str = "--replace-seed", another_option: str | None = None) -> SeedRow:
        """Add ``row`` as an active seed of its account: the account's seed of the same device (or its only
        seed) is replaced when ``replace_existing``; with ``another``, a seed of a device the account's other
        seeds do not name is kept beside them (root holds several virtual MFA devices). ``replace_option`` and
        ``another_option``: the caller's options for those (named in the refusals)."""
        row, warnings = check_row(row, where or f"account {row.account_id}")
        self.warnings += warnings
        self.refuse_foreign(row, where)
        kept = self.seeds_of(row.account_id)
        same = next((r for r in kept if r.seed == row.seed), None)
        if same is not None:
            return same
        target = next((r for r in kept if row.device_arn and r.device_arn == row.device_arn), None)
        at = f"{where}: " if where else ""
        if kept and another and target is None:
            self.refuse_another(row.account_id, row.device_arn, at)
        elif kept:
            if target is None and len(kept) > 1:
                raise InputError(
                    f"{at}account {row.account_id} has {len(kept)} seeds (devices "
                    f"{', '.join(device_name(r.device_arn) for r in kept)}) and this one names "
                    f"{'device ' + device_name(row.device_arn) if row.device_arn else 'no device'}: give the device "
                    "ARN of the seed it replaces, or keep it as another device"
                    + (f" ({another_option})" if another_option else ""))
            target = target or kept[0]
            if not replace_existing:
                other = (f", or {another_option} to keep both (another virtual MFA device of root)"
                         if another_option and row.device_arn and target.device_arn != row.device_arn else "")
                device = f" of device {device_name(target.device_arn)}" if target.device_arn else ""
                raise ExistsError(
                    f"{at}account {row.account_id} already has an MFA seed{device} (enrolled "
                    f"{target.enrolled_at or 'earlier'}): give {replace_option} to replace it (the old row is kept, "
                    f"marked replaced){other}"
                )
            target.state = "replaced"
            kept.remove(target)
            self._by_seed.pop(target.seed, None)
        self.rows.append(row)
        self._every[row.account_id] = [*kept, row]
        self._by_id[row.account_id] = self._every[row.account_id][0]
        self._by_seed[row.seed] = row
        return row

    def refuse_another(self, account_id: str, device_arn: str, at: str = "") -> None:
        """Refuse ``device_arn`` as the device of another seed of the account, beside those it has."""
        kept = self.seeds_of(account_id)
        if any(r.device_arn == device_arn for r in kept):
            raise ExistsError(f"{at}account {account_id} already has a seed of device {device_arn}: give the other "
                              "device a name of its own (--device-name)")
        problem = several_problem([r.device_arn for r in kept] + [device_arn])
        if problem:
            first = (": record the device of the seed kept first (rootkeeper org audit --record-devices, or "
                     "'seeds import' it again with its Device ARN and --replace)"
                     if any(not r.device_arn for r in kept) else "")
            raise InputError(f"{at}account {account_id} {problem}{first}")

    def set_device(self, account_id: str, device_arn: str) -> None:
        """Record the device ARN of an account's active seed (checked when the store is saved): a virtual MFA
        device's, never a FIDO key's or a hardware token's (they have no seed)."""
        from ...rules import devices

        if devices.kind(device_arn) != "virtual":
            raise InputError(f"{device_arn} is a {devices.LABELS[devices.kind(device_arn)]}, not a virtual MFA device: "
                             "a seed's device is a virtual one (arn:aws:iam::ID:mfa/NAME)")
        rows = self.seeds_of(account_id)
        if not rows:
            raise NotFoundError(f"no active seed for account {account_id} in the seed store")
        if len(rows) > 1:
            raise InputError(f"account {account_id} has {len(rows)} seeds, each with its device: none is changed")
        rows[0].device_arn = device_arn

    def set_proof(self, account_id: str, proven_at: str, proven_by: str, device: str | None = None) -> SeedRow:
        """Record that a sign-in with the account's active seed (of ``device``) worked (``proven_at`` "": it
        did not)."""
        row = self.active(account_id) if device is None else self.device_seed(account_id, device)
        if row is None:
            raise NotFoundError(f"no active seed for account {account_id} in the seed store")
        row.proven_at, row.proven_by = proven_at, proven_by if proven_at else ""
        return row

    def retire_device(self, account_id: str, device_arn: str) -> SeedRow:
        """Retire the account's seed of one device (deactivated in AWS), keeping its other seeds."""
        row = self.device_seed(account_id, device_arn)
        row.state = "retired"
        self._reindex()
        return row

    def retire(self, account_id: str) -> int:
        count = 0
        for row in self.rows:
            if row.account_id == account_id and row.state == "active":
                row.state = "retired"
                count += 1
        self._reindex()
        return count
