"""The password vault: a dedicated KeePass (KDBX 4, Argon2id) file of AWS root passwords.

One entry per account in the group ``AWS root users``: title = account name,
user name ``root``, the password, the console sign-in URL, and the fields
``AccountId`` and ``Email``. Retired accounts move to ``Retired``; nothing is
deleted, and rotation keeps the old password in the entry's history.

The vault never holds an MFA seed: opening one in which any entry (or history
item) has an ``otp`` field, a KeePass TOTP field, or an ``otpauth://`` value is
refused, naming the entry.
"""

from __future__ import annotations

import base64
import hashlib
import io
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import fsutil
from .accounts import SIGNIN_URL, Account, is_account_id, lookup, shown_path
from .errors import AuthError, CorruptError, ExistsError, InputError, NotFoundError, SegregationError

KDBX_MAGIC = b"\x03\xd9\xa2\x9a"  # the first bytes of every KeePass 2 database
ACTIVE_GROUP = "AWS root users"
RETIRED_GROUP = "Retired"
DATABASE_NAME = "AWS root users (rootkeeper)"
DATABASE_DESCRIPTION = (
    "Root-user passwords of the AWS accounts of one organization, and nothing else. "
    "Never store an MFA seed, a TOTP secret or an access key here: the MFA seeds live in a "
    "separate age-encrypted seed store, so that stealing this vault never gives a working root login."
)
ENTRY_NOTES = (
    "Root user password of AWS account {id} ({name}).\n"
    "Sign in at https://signin.aws.amazon.com/console as the root user with {email}.\n"
    "MFA is required: the seed is NOT in this vault; it is in the separate seed store "
    "(rootkeeper code {id} --reason ...).\n"
    "Use root only for the tasks that need it: close the account, change its e-mail or root "
    "password, restore lost IAM administrator access, S3 MFA delete, some billing and support-plan "
    "changes, GovCloud sign-up. Record every use (rootkeeper password {id} --reason ...)."
)
_OTP_KEYS = {"otp", "totp seed", "totp settings"}
_OTP_PREFIXES = ("timeotp-", "hmacotp-")
_RESERVED = {"Title", "UserName", "Password", "URL", "Notes"}


@dataclass(frozen=True)
class KdfParams:
    memory_mib: int = 256
    iterations: int = 8
    parallelism: int = 2

    def check(self) -> list[str]:
        if not 1 <= self.memory_mib <= MAX_KDF_MEMORY_MIB:
            raise InputError(f"--kdf-memory-mib {self.memory_mib} is out of range: choose 1-{MAX_KDF_MEMORY_MIB}")
        if not 1 <= self.iterations <= MAX_KDF_ITERATIONS:
            raise InputError(f"--kdf-iterations {self.iterations} is out of range: choose 1-{MAX_KDF_ITERATIONS}")
        if not 1 <= self.parallelism <= MAX_KDF_PARALLELISM:
            raise InputError(f"--kdf-parallelism {self.parallelism} is out of range: choose 1-{MAX_KDF_PARALLELISM}")
        if self.memory_mib < 64 or self.iterations < 2:
            return [
                f"Argon2id with {self.memory_mib} MiB and {self.iterations} iterations is weak: "
                "fine for tests, not for real root passwords (default 256 MiB, 8 iterations)"
            ]
        return []


@dataclass
class VaultEntry:
    account_id: str
    name: str
    email: str
    retired: bool
    element: object  # lxml element of the entry

    def public(self) -> dict:
        return {"account_id": self.account_id, "name": self.name, "email": self.email,
                "retired": self.retired}


def _fields(element) -> dict[str, str]:
    """An entry's fields (key -> value). Children are walked directly: lxml's findtext() costs
    microseconds a call, and a list of 100,000 entries makes millions of them."""
    out = {}
    for string in element.iterchildren("String"):
        key, value = None, ""
        for child in string:
            if child.tag == "Key":
                key = child.text
            elif child.tag == "Value":
                value = child.text or ""
        if key is not None:
            out[key] = value
    return out


def _child_text(element, tag: str) -> str | None:
    """The text of ``element``'s first child ``tag``, walking its children only up to it: lxml's findtext()
    looks at every child, and on a group of 100,000 entries that made each add (and each lookup) slow."""
    for child in element:
        if child.tag == tag:
            return child.text
    return None


def _name_of(group) -> str | None:
    """A group's name (its second child)."""
    return _child_text(group, "Name")


def make_key_file() -> bytes:
    """A KeePass 2.0 XML key file (as KeePassXC writes): 32 random bytes and a check hash."""
    key = secrets.token_bytes(32)
    check = hashlib.sha256(key).digest()[:4].hex().upper()
    hexkey = key.hex().upper()
    groups = " ".join(hexkey[i:i + 8] for i in range(0, 64, 8))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<KeyFile>\n    <Meta>\n        <Version>2.0</Version>\n'
        f'    </Meta>\n    <Key>\n        <Data Hash="{check}">\n            {groups}\n        </Data>\n'
        "    </Key>\n</KeyFile>\n"
    ).encode()


# Caps on the key derivation a vault's header may ask for, checked before deriving: a header
# edited to 4e9 iterations or 3 GiB would otherwise hang the command or exhaust memory.
# They are far above what anyone sets (KeePassXC's default is 64 MiB x 10; init's default
# 256 MiB x 8, about a second) and within what init itself accepts.
MAX_KDF_MEMORY_MIB = 1024
MAX_KDF_ITERATIONS = 100
MAX_KDF_PARALLELISM = 64
_ARGON2_UUIDS = {bytes.fromhex("ef636ddf8c29444b91f7a9a403e30a0c"),  # Argon2d
                 bytes.fromhex("9e298b1956db4773b23dfc3ec6f0a1e6")}  # Argon2id


def check_kdf_header(data: bytes, path: Path) -> None:
    """Read the KDBX 4 outer header's KDF parameters and refuse any beyond the caps (or not Argon2)."""
    from . import kdbx

    where = f"vault {path}"
    if int.from_bytes(data[10:12], "little") < 4:
        raise CorruptError(f"{where} is KDBX {data[10]}: rootkeeper keeps KDBX 4 (Argon2id); convert it in "
                           "KeePassXC (Database settings > Encryption)")
    try:
        params = kdbx.kdf_parameters(data)
    except (kdbx.KdbxError, ValueError, IndexError):
        raise CorruptError(f"{where} has a damaged header: restore it from a copy") from None
    if params.get("$UUID") not in _ARGON2_UUIDS:
        raise CorruptError(f"{where} does not use Argon2 (AES-KDF?): switch it to Argon2id in KeePassXC "
                           "(Database settings > Encryption)")
    memory_mib = int.from_bytes(params.get("M", b""), "little") // (1024 * 1024)
    iterations = int.from_bytes(params.get("I", b""), "little")
    parallelism = int.from_bytes(params.get("P", b""), "little")
    if memory_mib > MAX_KDF_MEMORY_MIB or iterations > MAX_KDF_ITERATIONS or parallelism > MAX_KDF_PARALLELISM:
        raise CorruptError(
            f"{where} asks for Argon2 with {memory_mib} MiB, {iterations} iterations and {parallelism} lanes, beyond "
            f"the caps ({MAX_KDF_MEMORY_MIB} MiB, {MAX_KDF_ITERATIONS} iterations, {MAX_KDF_PARALLELISM} lanes): "
            "its header was edited or damaged; restore it from a copy"
        )


def _key_bytes(key_file: Path | None) -> bytes | None:
    if key_file is None:
        return None
    return fsutil.read_bytes(key_file, "key file", secret=True, limit=1024 * 1024)


class Vault(fsutil.StoredFile):
    def __init__(self, path: Path, kp, original: bytes | None, database=None) -> None:
        self.path = Path(path)
        self.kp = kp  # pykeepass, for a vault opened to be written; None when opened to be read (kdbx.py)
        self._database = database
        self.tree = kp.tree if kp is not None else database.root  # the XML, protected values decrypted
        self._original = original
        self._index: dict[str, VaultEntry] | None = None
        self._retired: list[VaultEntry] = []
        self._unrecognised: list[VaultEntry] = []

    # ------------------------------------------------------------ lifecycle
    @classmethod
    def create(cls, path: Path, password: str, key_file: Path | None, kdf: KdfParams) -> Vault:
        from pykeepass import PyKeePass
        from pykeepass.kdbx_parsing import kdf_uuids
        from pykeepass.pykeepass import BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD

        kdf.check()
        kp = PyKeePass(BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD)
        kp.filename = None
        kp.password = password
        key = _key_bytes(key_file)
        kp.keyfile = io.BytesIO(key) if key is not None else None
        params = kp.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
        params["$UUID"].value = kdf_uuids["argon2id"]
        params["M"].value = kdf.memory_mib * 1024 * 1024
        params["I"].value = kdf.iterations
        params["P"].value = kdf.parallelism

        now = datetime.now(UTC)
        root = kp.root_group
        # pykeepass's template gives every database the same root-group UUID: make it unique.
        root.uuid = uuid.uuid4()
        root.name = "Root"
        meta = kp.tree.find("Meta")
        for tag in ("LastSelectedGroup", "LastTopVisibleGroup"):
            if meta.find(tag) is not None:
                meta.find(tag).text = base64.b64encode(root.uuid.bytes).decode()
        if meta.find("RecycleBinEnabled") is not None:
            meta.find("RecycleBinEnabled").text = "False"
        kp.database_name = DATABASE_NAME
        kp.database_description = DATABASE_DESCRIPTION
        kp.default_username = "root"
        stamp = kp._encode_time(now)
        for tag in ("DatabaseNameChanged", "DatabaseDescriptionChanged", "DefaultUserNameChanged",
                    "MasterKeyChanged", "SettingsChanged", "RecycleBinChanged"):
            if meta.find(tag) is not None:
                meta.find(tag).text = stamp
        for times in kp.tree.iter("Times"):
            for child in times:
                if child.tag.endswith("Time") or child.tag == "LocationChanged":
                    child.text = stamp
        vault = cls(path, kp, None)
        vault._group(ACTIVE_GROUP, create=True)
        vault._group(RETIRED_GROUP, create=True)
        fsutil.write_new(path, vault._build(rotate_kdf=True))
        # Re-open what was written: it proves the file opens with these credentials, and it
        # gives the key derived for *this* database (pykeepass still holds the template's).
        return cls.open(path, password, key_file)

    @classmethod
    def open(cls, path: Path, password: str, key_file: Path | None = None, *, segregation: bool = True,
             writable: bool = True, meanwhile=None) -> Vault:
        """Open the vault; with ``segregation`` (the default) refuse one that holds a seed. ``list``
        opens without it and reports each such entry as a finding (exit 1) instead. ``writable=False``:
        read it only (``kdbx.py``, without pykeepass), for the commands that change nothing; ``meanwhile``:
        the caller's work to do while its key is derived (read only)."""
        path = Path(path)
        data = fsutil.read_bytes(path, "vault")
        key = _key_bytes(key_file)
        if not data.startswith(KDBX_MAGIC):
            raise CorruptError(f"vault {path} is not a KeePass database (empty, truncated or damaged): restore it from a copy")
        check_kdf_header(data, path)
        vault = None if writable else cls._read(path, data, password, key, key_file, meanwhile)
        if vault is None:
            vault = cls._open_writable(path, data, password, key, key_file)
        if segregation:
            vault.check_segregation()
        return vault

    @classmethod
    def _read(cls, path: Path, data: bytes, password: str, key: bytes | None, key_file: Path | None,
              meanwhile=None) -> Vault | None:
        """The vault read by ``kdbx.py``; None when it uses what only pykeepass reads (Twofish)."""
        from . import kdbx

        try:
            database = kdbx.read(data, password, key, meanwhile=meanwhile)
        except kdbx.Passed as passed:
            raise passed.error from None  # the caller's work done meanwhile failed: its own error
        except kdbx.KdbxError as exc:
            if exc.kind == "unsupported":
                return None
            if exc.kind == "credentials":
                raise AuthError(cls._wrong_password(path, key_file)) from None
            if exc.kind == "key-file":
                raise AuthError(f"key file {key_file} is damaged (its check hash does not match)") from None
            if "checksum" in str(exc) or "HMAC" in str(exc):
                raise CorruptError(f"vault {path} is corrupted (checksum mismatch): restore it from a copy") from None
            raise CorruptError(f"vault {path} is truncated or corrupted: restore it from a copy") from None
        except Exception:  # damaged input can fail in many ways (a short field, bad base64)
            raise CorruptError(f"vault {path} is truncated or corrupted: restore it from a copy") from None
        return cls(path, None, data, database)

    @staticmethod
    def _wrong_password(path: Path, key_file: Path | None) -> str:
        hint = " and key file" if key_file else " (does it need --vault-key-file?)"
        return f"wrong vault password{hint} for {path}, or its header is damaged: try again, or restore the file from a copy"

    @classmethod
    def _open_writable(cls, path: Path, data: bytes, password: str, key: bytes | None, key_file: Path | None) -> Vault:
        from pykeepass import PyKeePass
        from pykeepass.exceptions import CredentialsError, HeaderChecksumError, PayloadChecksumError

        try:
            kp = PyKeePass(io.BytesIO(data), password=password,
                           keyfile=io.BytesIO(key) if key is not None else None)
        except CredentialsError:
            raise AuthError(cls._wrong_password(path, key_file)) from None
        except (HeaderChecksumError, PayloadChecksumError):
            raise CorruptError(f"vault {path} is corrupted (checksum mismatch): restore it from a copy") from None
        except AssertionError:
            raise AuthError(f"key file {key_file} is damaged (its check hash does not match)") from None
        except Exception:  # construct raises many kinds on truncated or damaged input
            raise CorruptError(f"vault {path} is truncated or corrupted: restore it from a copy") from None
        if kp.version[0] < 4:
            raise CorruptError(
                f"vault {path} is KDBX {kp.version[0]}.{kp.version[1]}: rootkeeper keeps KDBX 4 "
                "(Argon2id); convert it in KeePassXC (Database settings > Encryption)"
            )
        return cls(path, kp, data)

    def _build(self, *, rotate_kdf: bool = False) -> bytes:
        self._writable()
        buffer = io.BytesIO()
        if rotate_kdf:
            self.kp.save(buffer)
        else:
            # Reuse the key derived when the vault was opened: one key derivation per command.
            self.kp.save(buffer, transformed_key=self.kp.transformed_key)
        return buffer.getvalue()

    def payload(self) -> bytes:
        return self._build()

    def _writable(self) -> None:
        """A vault read by kdbx.py, about to change: opened with pykeepass from the same bytes and the key
        already derived (no second key derivation, no password kept)."""
        if self.kp is not None:
            return
        from pykeepass import PyKeePass

        old = self.tree
        self.kp = PyKeePass(io.BytesIO(self._original), transformed_key=self._database.transformed_key)
        self.tree, self._old_tree, self._database = self.kp.tree, old, None
        self._index = None

    def _live(self, element):
        """The element of the tree being written that is ``element`` of the tree as read (the same XML)."""
        old = getattr(self, "_old_tree", None)
        if old is None or element.getroottree().getroot() is not old:
            return element
        found = self.tree.xpath(old.getroottree().getpath(element))
        return found[0]

    # ------------------------------------------------------------ checks
    def _field_sets(self):
        """(the entry's fields, fields) of every entry, and of each of its history items."""
        if self._database is not None:
            for fields in self._database.fields.values():
                yield fields, fields
            for element, items in self._database.history.items():
                for item in items:
                    yield self._database.fields[element], item
            return
        for element in self.tree.iter("Entry"):
            if element.getparent().tag == "History":
                continue  # read below, with its entry
            fields = _fields(element)
            yield fields, fields
            for history in element.iterchildren("History"):
                for item in history.iterchildren("Entry"):
                    yield fields, _fields(item)

    def segregation_problems(self) -> list[str]:
        """Each entry that holds an MFA seed (an otp or TOTP field, or ``otpauth:`` in any value)."""
        # A cheap look first (the distinct keys; the values a few thousand at a time); the exact rule
        # and the entries' names only when something looks like a seed.
        if self._database is not None:  # the reader looked as it read
            keys, suspicious = self._database.keys, self._database.suspect
        else:
            keys, batch, suspicious = set(), [], False
            for _entry, fields in self._field_sets():
                keys.update(fields)
                batch += [value for value in fields.values() if value]
                if len(batch) >= 8192:
                    suspicious = suspicious or "otpauth:" in "\x00".join(batch).lower()
                    batch.clear()
            suspicious = suspicious or "otpauth:" in "\x00".join(batch).lower()
        low_keys = {k.strip().lower() for k in keys}
        if not suspicious and not any(k in _OTP_KEYS or k.startswith(_OTP_PREFIXES) for k in low_keys):
            return []
        return self._seed_problems()

    def _seed_problems(self) -> list[str]:
        """The exact rule, field by field, naming each entry."""
        problems = []
        for entry, fields in self._field_sets():
            for key, value in fields.items():
                low = key.strip().lower()
                if not (low in _OTP_KEYS or low.startswith(_OTP_PREFIXES) or "otpauth:" in value.lower()):
                    continue
                title = entry.get("Title", "(untitled)")
                problems.append(
                    f"vault entry {title!r} holds an MFA seed (field {key.strip()!r}): the vault must never "
                    "hold seeds; move it to the seed store (rootkeeper seeds import) and delete the "
                    "field in KeePassXC, including the entry's history"
                )
        return problems

    def check_segregation(self) -> None:
        problems = self.segregation_problems()
        if problems:
            raise SegregationError(problems[0])

    def seed_check_text(self) -> str:
        """Every value joined by NULs, each entry's notes left out when they are exactly the text rootkeeper
        wrote for it: that text holds no seed, and the id, name and e-mail filled into it are values of
        their own. What the cross-store seed check reads (a 100,000-entry vault is mostly that text)."""
        def values(fields: dict[str, str]):
            ours = ENTRY_NOTES.format(id=fields.get("AccountId", ""), name=fields.get("Title", ""),
                                      email=fields.get("Email", ""))
            return (v for k, v in fields.items() if v and not (k == "Notes" and v == ours))

        return "\x00".join(v for _entry, fields in self._field_sets() for v in values(fields))

    def password_values(self) -> set[str]:
        """The password of every entry of an account (active and retired)."""
        return {self.password(entry) for entry in self.entries(include_retired=True)}

    def kdf(self) -> dict:
        """The key derivation of the file as read (or as it will be written)."""
        from . import kdbx

        params = kdbx.kdf_parameters(self._original or self._build())
        number = lambda key: int.from_bytes(params[key], "little") if key in params else None  # noqa: E731
        names = {kdbx.ARGON2D: "argon2", kdbx.ARGON2ID: "argon2id"}
        return {"kdf": names.get(params.get("$UUID", b""), "unknown"),
                "memory_mib": number("M") // (1024 * 1024) if "M" in params else None,
                "iterations": number("I"), "parallelism": number("P")}

    def identity(self) -> dict:
        """What names this database for good (unchanged by saves): its root group's UUID, when it was
        created, and its name."""
        root = self.tree.find("Root/Group") if self.kp is None else self.kp.root_group._element
        created = root.findtext("Times/CreationTime") or ""
        try:
            when = datetime(1, 1, 1, tzinfo=UTC) + timedelta(seconds=int.from_bytes(base64.b64decode(created), "little"))
        except ValueError:
            when = datetime.fromisoformat(created.replace("Z", "+00:00")).replace(tzinfo=UTC)
        return {"database_id": str(uuid.UUID(bytes=base64.b64decode(root.findtext("UUID") or ""))), "created": when,
                "name": self.tree.findtext("Meta/DatabaseName") or ""}

    # ------------------------------------------------------------ groups and entries
    def _group(self, name: str, create: bool = False):
        """The element of the top-level group ``name`` (created, with ``create``; None if absent)."""
        for group in self.tree.find("Root/Group").iterchildren("Group") if self.kp is None else \
                self.kp.root_group._element.iterchildren("Group"):
            if _name_of(group) == name:
                return group
        if not create:
            return None
        self._writable()
        return self.kp.add_group(self.kp.root_group, name,
                                 notes="AWS root users' passwords" if name == ACTIVE_GROUP
                                 else "Closed or retired accounts; kept, never deleted")._element

    def _group_of(self, element):
        from pykeepass.group import Group

        return Group(element=element, kp=self.kp)

    def _entries_by_group(self) -> list[tuple[object, object, dict[str, str]]]:
        """(group element, entry element, its fields) of every entry that is not a history item, in one
        pass over the XML."""
        out = []
        for element in self.tree.iter("Entry"):
            group = element.getparent()
            if group is None or group.tag != "Group":
                continue  # a history item
            out.append((group, element, self._entry_fields(element)))
        return out

    def _top_group(self, group) -> str | None:
        """The name of ``group`` if it is a top-level group (a child of the root group), else None."""
        parent = group.getparent()
        if parent is not None and parent.tag == "Group" and parent.getparent() is not None \
                and parent.getparent().tag == "Root":
            return _name_of(group)
        return None

    def _scan(self) -> dict[str, VaultEntry]:
        """Active entries by account id (retired ones are kept in ``self._retired``)."""
        if self._index is None:
            active: dict[str, VaultEntry] = {}
            retired: list[VaultEntry] = []
            unrecognised: list[VaultEntry] = []
            tops: dict = {}
            for group, element, fields in self._entries_by_group():
                top = tops[group] if group in tops else tops.setdefault(group, self._top_group(group))
                account_id = fields.get("AccountId", "").strip()
                if not is_account_id(account_id):
                    if top != RETIRED_GROUP:  # added by hand without an account id: never ignored silently
                        unrecognised.append(VaultEntry("", fields.get("Title", ""), fields.get("Email", ""), False,
                                                       element))
                    continue
                if top not in (ACTIVE_GROUP, RETIRED_GROUP):
                    continue
                entry = VaultEntry(account_id, fields.get("Title", ""), fields.get("Email", ""), top == RETIRED_GROUP,
                                   element)
                if entry.retired:
                    retired.append(entry)
                elif account_id in active:
                    raise CorruptError(
                        f"vault {self.path} has two entries for account {account_id}: "
                        "merge them in KeePassXC (keep one, move the other to 'Retired')"
                    )
                else:
                    active[account_id] = entry
            self._index, self._retired, self._unrecognised = active, retired, unrecognised
        return self._index

    def entries(self, include_retired: bool = False) -> list[VaultEntry]:
        active = list(self._scan().values())
        return active + list(self._retired) if include_retired else active

    def get(self, account_id: str) -> VaultEntry | None:
        return self._scan().get(account_id)

    def _quick_find(self, ref: str) -> VaultEntry | None:
        """The one active entry with that id or title, without indexing every entry (break glass)."""
        group = self._group(ACTIVE_GROUP)
        if group is None:
            return None
        key = "AccountId" if is_account_id(ref) else "Title"
        if self._database is not None:
            table = self._database.fields
            found = [entry for entry in group.iterchildren("Entry") if table.get(entry, {}).get(key) == ref]
        else:
            found = []  # the group's own entries (not history items) with that field
            for value in group.iter("Value"):
                if value.text == ref:
                    string = value.getparent()
                    entry = string.getparent() if string is not None else None
                    if string.tag == "String" and _child_text(string, "Key") == key and entry is not None \
                            and entry.getparent() is group and entry not in found:
                        found.append(entry)
        if len(found) != 1:
            return None  # none, or ambiguous: the full index gives the precise error
        fields = self._entry_fields(found[0])
        if not is_account_id(fields.get("AccountId", "").strip()):
            return None
        return VaultEntry(fields["AccountId"].strip(), fields.get("Title", ""), fields.get("Email", ""), False, found[0])

    def find(self, ref: str) -> VaultEntry:
        ref = ref.strip()
        if self._index is None:
            quick = self._quick_find(ref)
            if quick is not None:
                return quick
        entry = lookup(ref, self._scan(), lambda e: e.name, "vault entry")
        if entry is None:
            by_title = [u for u in self.unrecognised() if u.name == ref]
            if len(by_title) == 1:
                return by_title[0]  # added by hand in KeePassXC: found by its title (adopt it to record its id)
            retired = any(ref in (e.account_id, e.name) for e in self.entries(include_retired=True))
            extra = " (it is retired)" if retired else ""
            raise NotFoundError(
                f"no vault entry for account {ref!r}{extra}: check with 'rootkeeper list', or enroll it"
            )
        return entry

    def unrecognised(self) -> list[VaultEntry]:
        """Entries outside 'Retired' without a valid AccountId (added by hand in KeePassXC): never
        ignored silently; ``account_id`` is "" and ``email`` what the entry says, if anything."""
        self._scan()
        return list(self._unrecognised)

    def adopt(self, title: str, account: Account) -> VaultEntry:
        """Give a hand-added entry its AccountId and Email, and move it to 'AWS root users'."""
        from pykeepass.entry import Entry

        self._writable()
        matches = [u for u in self.unrecognised() if u.name == title]
        if not matches:
            raise NotFoundError(f"no vault entry titled {title!r} without an AccountId: see 'rootkeeper list'")
        if len(matches) > 1:
            raise InputError(f"{len(matches)} entries are titled {title!r}: rename all but one in KeePassXC first")
        if self.get(account.id) is not None:
            raise ExistsError(f"account {account.id} already has a vault entry ({self.get(account.id).name!r}): "
                              "merge the two in KeePassXC")
        wrapped = Entry(element=matches[0].element, kp=self.kp)
        wrapped.save_history()
        wrapped.set_custom_property("AccountId", account.id)
        wrapped.set_custom_property("Email", account.email)
        group = self._group(ACTIVE_GROUP, create=True)
        if wrapped.group is None or wrapped.group.name != ACTIVE_GROUP:
            self.kp.move_entry(wrapped, self._group_of(group))
        wrapped.touch(modify=True)
        self._index = None
        return self.get(account.id)

    def find_any(self, ref: str) -> VaultEntry:
        """The active entry of an account, else its (latest) retired one."""
        try:
            return self.find(ref)
        except NotFoundError:
            ref = ref.strip()
            retired = [e for e in self.entries(include_retired=True) if e.retired and ref in (e.account_id, e.name)]
            if len({e.account_id for e in retired}) == 1:
                return retired[-1]
            raise

    def password(self, entry: VaultEntry) -> str:
        return self._entry_fields(self._live(entry.element)).get("Password", "")

    def _entry_fields(self, element) -> dict[str, str]:
        """An entry's fields: from the reader's table (a vault only read), else from the XML."""
        if self._database is not None:
            return self._database.fields.get(element) or {}
        return _fields(element)

    def add(self, account: Account, password: str) -> VaultEntry:
        from pykeepass.entry import Entry

        self._writable()
        if self.get(account.id) is not None:
            raise ExistsError(f"account {account.id} already has a vault entry: use 'rootkeeper rotate' to change its password")
        group = self._group(ACTIVE_GROUP, create=True)
        # Built directly: pykeepass's add_entry() searches the group on every call (quadratic).
        entry = Entry(account.name, "root", password, url=SIGNIN_URL,
                      notes=ENTRY_NOTES.format(id=account.id, name=account.name, email=account.email),
                      tags=["aws-root"], kp=self.kp)
        entry.set_custom_property("AccountId", account.id)
        entry.set_custom_property("Email", account.email)
        group.append(entry._element)
        record = VaultEntry(account.id, account.name, account.email, False, entry._element)
        self._scan()[account.id] = record
        return record

    def add_many(self, pairs: list[tuple[Account, str]]) -> list[VaultEntry]:
        """Add an entry per (account, password), all checked first (the bulk path of migration)."""
        self._writable()
        clash = [account.id for account, _pw in pairs if self.get(account.id) is not None]
        if clash:
            raise ExistsError(f"account {clash[0]} already has a vault entry ({len(clash)} of the accounts given do): "
                              "leave them out, or use 'rootkeeper rotate' to change a password")
        return [self.add(account, password) for account, password in pairs]

    def adopt_many(self, pairs: list[tuple[VaultEntry, Account]]) -> None:
        """Adopt each hand-added entry as its account, in one pass (what ``adopt`` does for one)."""
        from pykeepass.entry import Entry

        self._writable()
        group = self._group_of(self._group(ACTIVE_GROUP, create=True))
        for found, account in pairs:
            wrapped = Entry(element=self._live(found.element), kp=self.kp)
            wrapped.save_history()
            wrapped.set_custom_property("AccountId", account.id)
            wrapped.set_custom_property("Email", account.email)
            if wrapped._element.getparent() is not group._element:
                wrapped._element.getparent().remove(wrapped._element)
                group._element.append(wrapped._element)
            wrapped.touch(modify=True)
        self._index = None

    def rotate(self, entry: VaultEntry, new_password: str) -> None:
        from pykeepass.entry import Entry

        self._writable()
        wrapped = Entry(element=self._live(entry.element), kp=self.kp)
        wrapped.save_history()
        wrapped.password = new_password
        wrapped.touch(modify=True)

    def retire(self, entry: VaultEntry) -> None:
        from pykeepass.entry import Entry

        self._writable()
        group = self._group(RETIRED_GROUP, create=True)
        wrapped = Entry(element=self._live(entry.element), kp=self.kp)
        wrapped.save_history()
        self.kp.move_entry(wrapped, self._group_of(group))
        wrapped.touch(modify=True)
        self._index = None


def read_keepass(path: Path, password: str, key_file: Path | None = None) -> list[dict[str, str]]:
    """The fields of every entry of any KeePass 2 database (KDBX 3.1 or 4, Argon2 or AES-KDF), read
    only: the database a team kept by hand, to migrate. History items and the recycle bin are left out."""
    from . import kdbx

    path = Path(path)
    data = fsutil.read_bytes(path, "KeePass database")
    key = _key_bytes(key_file)
    if not data.startswith(KDBX_MAGIC):
        raise InputError(f"{shown_path(path)} is not a KeePass database: give the .kdbx file to migrate")
    wrong = f"wrong password{' or key file' if key_file else ' (does it need --from-key-file?)'} for {shown_path(path)}"
    try:
        if int.from_bytes(data[10:12], "little") >= 4:
            if kdbx.kdf_parameters(data).get("$UUID") != kdbx.AES_KDF:
                check_kdf_header(data, path)
            database = kdbx.read(data, password, key)
            root, fields_of = database.root, lambda element: database.fields.get(element) or {}
        else:
            from pykeepass import PyKeePass
            from pykeepass.exceptions import CredentialsError

            transformed = kdbx.kdbx3_transformed_key(data, password, key)
            try:
                root, fields_of = PyKeePass(io.BytesIO(data), transformed_key=transformed).tree.getroot(), _fields
            except CredentialsError:
                raise AuthError(wrong) from None
    except kdbx.KdbxError as exc:
        if exc.kind == "credentials":
            raise AuthError(wrong) from None
        raise CorruptError(f"{shown_path(path)} cannot be read ({exc}): open it in KeePassXC and save it again") from None
    bin_uuid = root.findtext("Meta/RecycleBinUUID") or ""
    recycle_bin = next((g for g in root.iter("Group") if bin_uuid and _child_text(g, "UUID") == bin_uuid), None)
    out = []
    for element in root.iter("Entry"):
        group = element.getparent()
        if group is None or group.tag != "Group":
            continue  # a history item
        if recycle_bin is not None and any(g is recycle_bin for g in element.iterancestors("Group")):
            continue  # deleted in KeePass: in the recycle bin
        out.append(fields_of(element))
    return out
