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
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import AuthError, CorruptError, ExistsError, InputError, NotFoundError, SegregationError
from ..rules import segregation
from ..rules.accounts import SIGNIN_URL, Account, is_account_id, lookup
from ..rules.redaction import shown_path
from ..storage import fsutil
from ..storage.journal import Mark

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
_RESERVED = {"Title", "UserName", "Password", "URL", "Notes"}
MARK_KEY = "rootkeeper.journal"  # the metadata's custom data item naming the journal (``journal.Mark``)


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


_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_LOW_KEY = f"translate(normalize-space(Key), '{_UPPER}', '{_LOWER}')"
# The segregation rule's look for a seed (segregation.py) as one pass over the XML (lxml's C): a String
# named like a TOTP field, or any value (entry field, history item, custom data) holding 'otpauth:' in any case.
_OTP_FIELD = " or ".join([f"{_LOW_KEY} = '{k}'" for k in sorted(segregation.OTP_FIELDS)]
                         + [f"starts-with({_LOW_KEY}, '{p}')" for p in segregation.OTP_FIELD_PREFIXES])
_SEED_XPATH = (f"//String[{_OTP_FIELD}] | //Value[contains(translate(., '{segregation.URI_MARK.upper()}', "
               f"'{segregation.URI_MARK}'), '{segregation.URI_MARK}')][not(parent::String[{_OTP_FIELD}])]")


def _owner(node) -> tuple[object | None, str]:
    """Who holds ``node``: (its entry's element, else None; for a person: its entry (the entry of a history
    item), else its group, else the database's metadata)."""
    entries = list(node.iterancestors("Entry"))
    if entries:
        return entries[-1], f"vault entry {(_fields(entries[-1]).get('Title') or '(untitled)')!r}"
    group = next(node.iterancestors("Group"), None)
    if group is not None:
        return None, f"vault group {(_name_of(group) or '(unnamed)')!r}"
    return None, "the vault's metadata"


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
_ARGON2_UUIDS = {bytes.fromhex("ef636ddf8c29444b91f7a9a403e30a0c"): "argon2",  # Argon2d
                 bytes.fromhex("9e298b1956db4773b23dfc3ec6f0a1e6"): "argon2id"}


# What a vault may inflate to: as much as rootkeeper reads of any file (100,000 accounts are about
# 160 MiB of XML), and at most MAX_INFLATION times what was read (KeePass's XML deflates about 20-fold;
# a crafted payload of repeated bytes about 1000-fold): a small file never becomes gigabytes in memory.
MAX_INFLATED = fsutil.MAX_INPUT_BYTES
MAX_INFLATION = 64
INFLATION_ALLOWANCE = 16 * 1024 * 1024
AES_KDF = bytes.fromhex("c9d9f39a628a4460bf740d08c18a4fea")
MAX_AES_ROUNDS = 2 ** 32  # far above any setting (KeePassXC's one second is about 60 million here)


class _Inflated(Exception):  # noqa: N818 - carried out of pykeepass's parse, turned into a CorruptError
    """The payload inflates beyond what a KeePass database of this size inflates to."""


def _inflate(self, data, con, path) -> bytes:  # noqa: ARG001 - pykeepass's Adapter._decode signature
    """pykeepass's ``Decompressed._decode`` with a cap on what is inflated (pykeepass inflates whatever
    the payload holds)."""
    import zlib

    cap = min(MAX_INFLATED, MAX_INFLATION * len(data) + INFLATION_ALLOWANCE)
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflate.decompress(data, cap + 1)
    if len(out) > cap or inflate.unconsumed_tail:
        raise _Inflated(f"inflates beyond {cap // (1024 * 1024)} MiB")
    out += inflate.flush()
    if not inflate.eof:  # what zlib.decompress refuses: a stream cut short
        raise zlib.error("incomplete or truncated stream")
    return out


# What XML 1.0 allows in text: pykeepass strips the rest from decrypted values (so does _unprotect).
_NOT_XML = re.compile("[^\u0020-\ud7ff\u0009\u000a\u000d\ue000-\ufffd\U00010000-\U0010ffff]+")


def _unprotect(self, tree, con, path):  # noqa: ARG001 - pykeepass's Adapter._decode signature
    """pykeepass's ``UnprotectedStream._decode`` with one call of the inner stream cipher: every protected
    value in document order (the values pykeepass's XPath selects), decrypted as the one stream KeePass
    wrote, where pykeepass calls the cipher once a value (a third of reading 10,000 entries). A value that
    does not decrypt is an error here: pykeepass logs it and keeps its ciphertext, which would be shown as
    a password. The protected values are found by the survey's pass (``_walk``), which refuses what
    KeePass never writes before anything is decrypted; its answer is kept for ``_open_database``."""
    import binascii

    _LOOKED.clear()
    elements: list = []
    suspect, keys = _walk(tree, elements)
    cipher = self.get_cipher(self.protected_stream_key(con))
    raws = []
    for element in elements:
        try:
            raws.append(base64.b64decode(element.text))
        except (binascii.Error, ValueError):
            raise _Undecrypted(tree.getpath(element)) from None
    plain, at = cipher.decrypt(b"".join(raws)) if raws else b"", 0
    texts: list[str] = []
    for element, raw in zip(elements, raws, strict=True):
        piece, at = plain[at:at + len(raw)], at + len(raw)
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError:
            raise _Undecrypted(tree.getpath(element)) from None
        element.text = text = text if text.isprintable() else _NOT_XML.sub("", text)
        texts.append(text)
    _LOOKED.update(tree=tree, suspect=suspect or _otp_field(keys) or segregation.mentions_uri(texts))
    return tree


def _pykeepass():
    """The pykeepass module, with two of its readers replaced (once per process): inflation capped, and
    protected values decrypted in one cipher call (both given the same results below the cap, tested)."""
    import pykeepass
    from pykeepass.kdbx_parsing import common

    if common.UnprotectedStream._decode is not _unprotect:
        THEIRS.update(inflate=common.Decompressed._decode, unprotect=common.UnprotectedStream._decode)
    common.Decompressed._decode = _inflate
    common.UnprotectedStream._decode = _unprotect
    return pykeepass


THEIRS: dict = {}  # pykeepass's own two readers, for the tests that hold ours to theirs


def _outer_header(data: bytes, where: str):
    """The outer header as pykeepass parses it (no key derivation)."""
    _pykeepass()
    from pykeepass.kdbx_parsing.kdbx import KDBX

    try:
        return KDBX.header.parse(data).value
    except Exception:  # construct raises many kinds on a damaged header
        raise CorruptError(f"{where} has a damaged header: restore it from a copy") from None


def _kdf_parameters(header) -> dict:
    """The KDBX 4 header's KDF parameters ($UUID, S, M, I, P, ...) as plain values."""
    return {key: item.value for key, item in header.dynamic_header.kdf_parameters.data.dict.items()}


def check_kdf_header(data: bytes, path: Path) -> None:
    """Read the KDBX 4 outer header's KDF parameters and refuse any beyond the caps (or not Argon2)."""
    where = f"vault {path}"
    if int.from_bytes(data[10:12], "little") < 4:
        raise CorruptError(f"{where} is KDBX {data[10]}: rootkeeper keeps KDBX 4 (Argon2id); convert it in "
                           "KeePassXC (Database settings > Encryption)")
    try:
        params = _kdf_parameters(_outer_header(data, where))
    except (AttributeError, KeyError):
        raise CorruptError(f"{where} has a damaged header: restore it from a copy") from None
    if params.get("$UUID") not in _ARGON2_UUIDS:
        raise CorruptError(f"{where} does not use Argon2 (AES-KDF?): switch it to Argon2id in KeePassXC "
                           "(Database settings > Encryption)")
    memory_mib = int(params.get("M") or 0) // (1024 * 1024)
    iterations, parallelism = int(params.get("I") or 0), int(params.get("P") or 0)
    if memory_mib > MAX_KDF_MEMORY_MIB or iterations > MAX_KDF_ITERATIONS or parallelism > MAX_KDF_PARALLELISM:
        raise CorruptError(
            f"{where} asks for Argon2 with {memory_mib} MiB, {iterations} iterations and {parallelism} lanes, beyond "
            f"the caps ({MAX_KDF_MEMORY_MIB} MiB, {MAX_KDF_ITERATIONS} iterations, {MAX_KDF_PARALLELISM} lanes): "
            "its header was edited or damaged; restore it from a copy"
        )


def aes_kdf(seed: bytes, rounds: int, composite: bytes) -> bytes:
    """KeePass's AES-KDF: each half of the composite key encrypted ``rounds`` times with AES-256-ECB keyed
    by ``seed``, then SHA-256 (pykeepass's ``aes_kdf``). Encrypting zeros in CBC mode from the half as IV
    gives the same chain (C_i = E(C_{i-1})) in one C call per 65,536 rounds, where pykeepass loops in
    Python (a minute at KeePassXC's default of about 60 million rounds)."""
    from Cryptodome.Cipher import AES

    size = 1 << 16
    zeros, buffer = bytes(16 * size), bytearray(16 * size)
    out = b""
    for half in (composite[:16], composite[16:32]):
        block, left = half, rounds
        while left:
            step = min(left, size)
            view = memoryview(buffer)[:16 * step]
            AES.new(seed, AES.MODE_CBC, iv=block).encrypt(zeros[:16 * step], output=view)
            block = bytes(view[-16:])
            left -= step
        out += block
    return hashlib.sha256(out).digest()


def _aes_transformed_key(data: bytes, header, password: str, key: bytes | None) -> bytes | None:
    """The transformed key of a database using AES-KDF (KDBX 3.1, or 4 with AES-KDF), else None."""
    from pykeepass.kdbx_parsing.common import compute_key_composite

    if header.major_version < 4:
        seed, rounds = header.dynamic_header.transform_seed.data, header.dynamic_header.transform_rounds.data
    else:
        params = _kdf_parameters(header)
        if params.get("$UUID") != AES_KDF:
            return None
        seed, rounds = params["S"], params["R"]
    if rounds > MAX_AES_ROUNDS:
        raise CorruptError("its AES-KDF asks for more rounds than any setting: restore it from a copy")
    return aes_kdf(seed, rounds, compute_key_composite(password, io.BytesIO(key) if key is not None else None))


def _parse(data: bytes, password: str | None, key: bytes | None, *, transformed_key: bytes | None = None,
           meanwhile=None):
    """``data`` opened by pykeepass. ``meanwhile``: the caller's work, done in this thread while the key is
    derived in another (argon2 releases the GIL); its error, if any, is raised first, as it is."""
    import threading

    pykeepass = _pykeepass()
    out: dict = {}

    def work() -> None:
        try:
            out["kp"] = pykeepass.PyKeePass(io.BytesIO(data), password=password,
                                            keyfile=io.BytesIO(key) if key is not None else None,
                                            transformed_key=transformed_key)
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the caller's thread
            out["error"] = exc

    if meanwhile is None:
        work()
    else:
        worker = threading.Thread(target=work, name="vault", daemon=True)
        worker.start()
        try:
            meanwhile()
        except Exception as exc:  # noqa: BLE001 - the caller's, raised again by the caller unchanged
            raise _Passed(exc) from None
        finally:
            worker.join()
    if "error" in out:
        raise out["error"]
    return out["kp"]


def _open_database(data: bytes, password: str | None, key: bytes | None, *, where: str, wrong: str,
                   key_file: Path | None, transformed_key: bytes | None = None, meanwhile=None):
    """(pykeepass's reading of ``data``, may a seed be in it), its failures told apart; the XML checked for
    what KeePass never writes (``survey``)."""
    from pykeepass.exceptions import CredentialsError, HeaderChecksumError, PayloadChecksumError

    try:
        kp = _parse(data, password, key, transformed_key=transformed_key, meanwhile=meanwhile)
    except CredentialsError:
        raise AuthError(wrong) from None
    except (HeaderChecksumError, PayloadChecksumError):
        raise CorruptError(f"{where} is corrupted (checksum mismatch): restore it from a copy") from None
    except AssertionError:  # pykeepass's check of a 2.0 key file's hash
        raise AuthError(f"key file {shown_path(key_file)} is damaged (its check hash does not match)") from None
    except _Inflated as exc:
        raise CorruptError(f"{where} {exc}, more than a KeePass database of {len(data):,} bytes holds: it was "
                           "crafted or damaged; restore it from a copy") from None
    except _Undecrypted:
        raise CorruptError(f"{where} holds a protected value that does not decrypt: it was crafted or damaged; "
                           "restore it from a copy") from None
    except _Crafted as crafted:
        raise _crafted_error(where, crafted) from None
    except _Passed as passed:
        raise passed.error from None  # the caller's work done meanwhile failed: its own error
    except Exception:  # construct raises many kinds on truncated or damaged input
        raise CorruptError(f"{where} is truncated or corrupted: restore it from a copy") from None
    finally:
        looked = dict(_LOOKED)
        _LOOKED.clear()
    if looked.get("tree") is kp.tree:  # surveyed while it was read (what KeePass never writes refused)
        return kp, looked["suspect"]
    return kp, survey(kp, where)  # may a seed be in it?


class _Passed(Exception):  # noqa: N818 - not an error of its own: carries the caller's
    """An error of the caller's ``meanwhile`` work, carried out of the parse unchanged (``.error``)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _Undecrypted(Exception):  # noqa: N818 - turned into a CorruptError by the caller
    """A value marked protected that does not decrypt (pykeepass kept its ciphertext)."""


class _Crafted(Exception):  # noqa: N818 - turned into a CorruptError (naming the file) by the caller
    """What KeePass and KeePassXC never write, found in the XML."""


# The last tree _unprotect read, and whether a seed may be in it: taken by _open_database right after.
_LOOKED: dict = {}


def _walk(tree, protected: list | None = None) -> tuple[bool, set[str]]:
    """The survey's one pass over the XML (lxml's iteration; an XPath per check costs several passes):
    refuse (``_Crafted``) what KeePass and KeePassXC never write, where readers differ (KeePassXC reads a
    lower-case Protected="true" as protected, pykeepass as plain text; a comment or an instruction inside
    a value cuts it for one reader, not the other; a DOCTYPE and its entities; two entries or groups with
    one UUID). Returns (is 'otpauth:' in a value, every field name). With ``protected`` (a list; the
    values still encrypted), the values marked protected are put in it, in document order, and left out
    of the look."""
    from lxml import etree

    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _Crafted("declares a DOCTYPE")

    def at(node) -> str:
        return tree.getpath(node if isinstance(node.tag, str) else node.getparent())

    texts: list[str] = []  # looked at a few thousand at a time: never a second copy of every value
    suspect = False
    keys: set[str] = set()
    seen: dict[str, set[str]] = {"Entry": set(), "Group": set()}
    for node in tree.iter("Value", "Key", "UUID", etree.Comment, etree.ProcessingInstruction):
        tag = node.tag
        if tag == "Value":
            marked = node.get("Protected")
            if marked is not None and marked != "False":
                if marked != "True":
                    raise _Crafted(f"holds Protected={marked!r} (at {at(node)})")
                if protected is not None:
                    if node.text is not None:
                        protected.append(node)
                    continue
            if node.text:
                texts.append(node.text)
                if len(texts) >= 8192:
                    suspect = suspect or segregation.mentions_uri(texts)
                    texts.clear()
        elif tag == "Key":
            if node.text:
                keys.add(node.text)
        elif tag == "UUID":
            owner = node.getparent()
            if owner.tag in seen and owner.getparent() is not None and owner.getparent().tag != "History":
                if node.text in seen[owner.tag]:
                    raise _Crafted(f"has two {owner.tag.lower()}s with one UUID ({node.text})")
                seen[owner.tag].add(node.text)
        else:
            raise _Crafted(f"holds {'a comment' if tag is etree.Comment else 'a processing instruction'} "
                           f"(at {at(node)})")
    return suspect or segregation.mentions_uri(texts), keys


def _otp_field(keys: set[str]) -> bool:
    return any(segregation.is_otp_field(key) for key in keys)


def _crafted_error(where: str, crafted: _Crafted) -> CorruptError:
    return CorruptError(f"{where} {crafted}, which KeePass never writes: it was crafted or damaged; "
                        "restore it from a copy")


def survey(kp, where: str) -> bool:
    """Refuse what KeePass never writes in an opened database (``_walk``); returns whether a seed may be
    in it (a field named like a TOTP field, or 'otpauth:' in any value): the cheap look before the exact
    rule (``Vault.segregation_problems``)."""
    try:
        suspect, keys = _walk(kp.tree)
    except _Crafted as crafted:
        raise _crafted_error(where, crafted) from None
    return suspect or _otp_field(keys)


def _group_kinds(tree):
    """A function giving each group's place: "active" (in 'AWS root users', at any depth), "retired" (in
    'Retired'), "deleted" (in KeePass's recycle bin), or None (elsewhere)."""
    recycle_bin = (tree.findtext("Meta/RecycleBinUUID") or "").strip()
    recycle_bin = "" if recycle_bin in ("", "AAAAAAAAAAAAAAAAAAAAAA==") else recycle_bin
    kinds: dict = {}

    def kind_of(group):
        if group in kinds:
            return kinds[group]
        parent = group.getparent()
        if recycle_bin and _child_text(group, "UUID") == recycle_bin:
            kind = "deleted"
        elif parent is None or parent.tag != "Group":
            kind = None  # the root group
        elif parent.getparent() is not None and parent.getparent().tag == "Root":  # a top-level group
            kind = {ACTIVE_GROUP: "active", RETIRED_GROUP: "retired"}.get(_name_of(group))
        else:
            kind = kind_of(parent)
        kinds[group] = kind
        return kind

    return kind_of


def _key_bytes(key_file: Path | None) -> bytes | None:
    if key_file is None:
        return None
    return fsutil.read_bytes(key_file, "key file", secret=True, limit=1024 * 1024)


class Vault(fsutil.StoredFile):
    def __init__(self, path: Path, kp, original: bytes | None) -> None:
        self.path = Path(path)
        self.kp = kp  # pykeepass: the one reader and writer of the file
        self.tree = kp.tree  # the XML, protected values decrypted
        self._original = original
        self._index: dict[str, VaultEntry] | None = None
        self._retired: list[VaultEntry] = []
        self._unrecognised: list[VaultEntry] = []
        self._suspect: bool | None = None  # from the look taken when it was read: may a seed be in it?
        self._found: list | None = None  # the seeds in it (``_breaches``), once looked for
        self.mark: Mark | None = None  # the journal it belongs to, as its last write saw it (journal.Mark)
        self._known: dict = {}  # entry element -> its fields, read once (the index, the checks, passwords)

    # ------------------------------------------------------------ lifecycle
    @classmethod
    def create(cls, path: Path, password: str, key_file: Path | None, kdf: KdfParams, mark: Mark | None = None) -> Vault:
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
        vault.mark = mark
        vault._group(ACTIVE_GROUP, create=True)
        vault._group(RETIRED_GROUP, create=True)
        fsutil.write_new(path, vault._build(rotate_kdf=True))
        # Re-open what was written: it proves the file opens with these credentials, and it
        # gives the key derived for *this* database (pykeepass still holds the template's).
        return cls.open(path, password, key_file)

    @classmethod
    def open(cls, path: Path, password: str, key_file: Path | None = None, *, segregation: bool = True,
             meanwhile=None) -> Vault:
        """Open the vault; with ``segregation`` (the default) refuse one that holds a seed. ``list``
        opens without it and reports each such entry as a finding (exit 1) instead. ``meanwhile``: the
        caller's work to do while the vault's key is derived."""
        path = Path(path)
        data = fsutil.read_bytes(path, "vault", missing="check the path, or create it with 'rootkeeper init'")
        key = _key_bytes(key_file)
        if not data.startswith(KDBX_MAGIC):
            raise CorruptError(f"vault {path} is not a KeePass database (empty, truncated or damaged): restore it from a copy")
        check_kdf_header(data, path)
        hint = " and key file" if key_file else " (does it need --vault-key-file?)"
        kp, suspect = _open_database(data, password, key, where=f"vault {path}", key_file=key_file, meanwhile=meanwhile,
                            wrong=f"wrong vault password{hint} for {path}, or its header is damaged: try again, or "
                                  "restore the file from a copy")
        if kp.version[0] < 4:
            raise CorruptError(
                f"vault {path} is KDBX {kp.version[0]}.{kp.version[1]}: rootkeeper keeps KDBX 4 "
                "(Argon2id); convert it in KeePassXC (Database settings > Encryption)"
            )
        vault = cls(path, kp, data)
        vault._suspect = suspect
        vault.mark = vault._read_mark()
        if segregation:
            vault.check_segregation()
        return vault

    def _read_mark(self) -> Mark | None:
        item = self._mark_item()
        try:
            return Mark.parse(item.findtext("Value") if item is not None else None)
        except CorruptError as exc:
            raise CorruptError(f"vault {self.path}: {exc.message}") from None

    def _mark_item(self, *, create: bool = False):
        """The metadata's custom data item that holds the journal's mark (made, with ``create``)."""
        meta = self.tree.find("Meta")
        data = meta.find("CustomData")
        for item in data.iterchildren("Item") if data is not None else ():
            if item.findtext("Key") == MARK_KEY:
                return item
        if not create:
            return None
        from lxml import etree

        if data is None:
            data = etree.SubElement(meta, "CustomData")
        item = etree.SubElement(data, "Item")
        etree.SubElement(item, "Key").text = MARK_KEY
        etree.SubElement(item, "Value")
        return item

    def _build(self, *, rotate_kdf: bool = False) -> bytes:
        if self.mark is not None:  # inside the encrypted, authenticated payload
            self._mark_item(create=True).find("Value").text = self.mark.text()
        buffer = io.BytesIO()
        if rotate_kdf:
            self.kp.save(buffer)
        else:
            # Reuse the key derived when the vault was opened: one key derivation per command.
            self.kp.save(buffer, transformed_key=self.kp.transformed_key)
        return buffer.getvalue()

    def payload(self) -> bytes:
        return self._build()

    def _fields_of(self, element) -> dict[str, str]:
        """An entry's fields, read from the XML once (every writer below forgets them)."""
        known = self._known.get(element)
        if known is None:
            known = self._known[element] = _fields(element)
        return known

    # ------------------------------------------------------------ checks
    def segregation_problems(self) -> list[str]:
        """Each place that holds an MFA seed: an otp or TOTP field, ``otpauth:`` in any value (of an entry,
        its history, a group's or the database's custom data) or in any attachment."""
        return [problem for _entry, problem in self._breaches()]

    def _breaches(self) -> list[tuple[object | None, str]]:
        """(the entry's element, or None for a place no entry holds, the finding) of each seed in the vault."""
        if self._found is not None:
            return self._found
        found = []
        suspect = self._suspect if self._suspect is not None else survey(self.kp, f"vault {self.path}")
        for node in self.tree.xpath(_SEED_XPATH) if suspect else ():
            entry, owner = _owner(node)
            field = node.findtext("Key") if node.tag == "String" else node.getparent().findtext("Key")
            kind = "field" if node.getparent().tag != "Item" else "custom data"
            finding = (entry, segregation.seed_in_vault(owner, f"{kind} {(field or '').strip()!r}"))
            if finding not in found:  # a passkey's five fields are one finding
                found.append(finding)
        mark = segregation.URI_MARK.encode()
        seeded = {index for index, data in enumerate(self.kp.binaries) if mark in data.lower()}
        for reference in self.tree.iter("Binary") if seeded else ():
            value = reference.find("Value")
            if value is not None and value.get("Ref", "").isascii() and value.get("Ref", "").isdigit() and int(value.get("Ref")) in seeded:
                entry, owner = _owner(reference)
                found.append((entry, segregation.seed_in_vault(owner, f"attachment {reference.findtext('Key') or ''!r}",
                                                               "delete the attachment")))
        if seeded and not found:  # an attachment no entry names still sits in the file
            found.append((None, "the vault holds an MFA seed in an attachment no entry names: save the database in "
                                "KeePassXC to drop it, then check again"))
        self._found = found
        return found

    def check_segregation(self, *, whole: bool = True) -> None:
        """Refuse a vault that holds a seed (a copy, a vault to write to a medium). ``whole=False``: only a seed
        no entry holds (a group's, the metadata's): it could be any account's; a seed in an entry blocks that
        entry only (``usable``), so that one entry's breach never stops break glass for the others."""
        found = [problem for entry, problem in self._breaches() if whole or entry is None]
        if found:
            raise SegregationError(found[0])

    def entry_breaches(self) -> list[str]:
        """The findings of seeds held by entries: each blocks its entry (every command says so)."""
        return [problem for entry, problem in self._breaches() if entry is not None]

    def usable(self, entry: VaultEntry) -> VaultEntry:
        """``entry``, unless it holds a seed: then it is refused until the seed is moved out of it."""
        problem = next((p for held, p in self._breaches() if held is entry.element), None)
        if problem is not None:
            raise SegregationError(f"{problem}; until then this entry is refused (every other entry works)")
        return entry

    def seed_check_text(self) -> str:
        """Every value of every entry and history item joined by NULs, the notes left out when they are
        exactly the text rootkeeper wrote for that item: that text holds no seed, and the id, name and
        e-mail filled into it are values of their own. What the cross-store seed check reads (a
        100,000-entry vault is mostly that text)."""
        values: list[str] = []
        for element in self.tree.iter("Entry"):
            if element.getparent().tag == "History":
                continue  # read below, with its entry
            items = [self._fields_of(element)]
            items += [_fields(item) for history in element.iterchildren("History") for item in history.iterchildren("Entry")]
            for fields in items:
                notes = fields.get("Notes")
                ours = bool(notes) and notes == ENTRY_NOTES.format(
                    id=fields.get("AccountId", ""), name=fields.get("Title", ""), email=fields.get("Email", ""))
                values += [v for k, v in fields.items() if v and not (ours and k == "Notes")]
        return "\x00".join(values)

    def password_values(self) -> set[str]:
        """The password of every entry of an account (active and retired)."""
        return {self.password(entry) for entry in self.entries(include_retired=True)}

    def kdf(self) -> dict:
        """The key derivation of the file as read (or as it will be written)."""
        params = _kdf_parameters(self.kp.kdbx.header.value)
        return {"kdf": _ARGON2_UUIDS.get(params.get("$UUID", b""), "unknown"),
                "memory_mib": params["M"] // (1024 * 1024) if "M" in params else None,
                "iterations": params.get("I"), "parallelism": params.get("P")}

    def identity(self) -> dict:
        """What names this database for good (unchanged by saves): its root group's UUID, when it was
        created, and its name."""
        root = self.kp.root_group._element
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
        for group in self.kp.root_group._element.iterchildren("Group"):
            if _name_of(group) == name:
                return group
        if not create:
            return None
        return self.kp.add_group(self.kp.root_group, name,
                                 notes="AWS root users' passwords" if name == ACTIVE_GROUP
                                 else "Closed or retired accounts; kept, never deleted")._element

    def _group_of(self, element):
        from pykeepass.group import Group

        return Group(element=element, kp=self.kp)


    def _scan(self) -> dict[str, VaultEntry]:
        """Active entries by account id (retired ones are kept in ``self._retired``). Entries in subgroups
        count as their top-level group's; an entry outside both groups (or without a valid AccountId) is
        unrecognised: listed, never ignored silently; one in the recycle bin is deleted."""
        if self._index is None:
            active: dict[str, VaultEntry] = {}
            retired: list[VaultEntry] = []
            unrecognised: list[VaultEntry] = []
            kind_of = _group_kinds(self.tree)
            for element in self.tree.iter("Entry"):
                group = element.getparent()
                if group is None or group.tag != "Group":
                    continue  # a history item
                kind = kind_of(group)
                if kind == "deleted":
                    continue
                fields = self._fields_of(element)
                account_id = fields.get("AccountId", "").strip()
                if not is_account_id(account_id) or kind is None:
                    if kind != "retired":  # added by hand: never ignored silently
                        unrecognised.append(VaultEntry("", fields.get("Title", ""), fields.get("Email", ""), False,
                                                       element))
                    continue
                entry = VaultEntry(account_id, fields.get("Title", ""), fields.get("Email", ""), kind == "retired",
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
        """The one active entry with that id or title, without indexing every entry (break glass): one
        XPath over 'AWS root users' and its subgroups; anything less clear-cut goes to the full index."""
        key = "AccountId" if is_account_id(ref) else "Title"
        group = self._group(ACTIVE_GROUP)
        if group is None or self.tree.findtext("Meta/RecycleBinUUID") not in (None, "", "AAAAAAAAAAAAAAAAAAAAAA=="):
            return None  # no group, or a recycle bin (which may sit inside it): the full index decides
        found = []  # entries of the group and its subgroups (not history items) with that field
        for value in group.iter("Value"):  # lxml's iteration: faster here than an XPath of the same
            if value.text == ref:
                string = value.getparent()
                entry = string.getparent()
                if string.tag == "String" and _child_text(string, "Key") == key and entry is not None \
                        and entry.tag == "Entry" and entry.getparent().tag == "Group" and entry not in found:
                    found.append(entry)
        if len(found) != 1:
            return None  # none, or ambiguous: the full index gives the precise error
        fields = _fields(found[0])
        if not is_account_id(fields.get("AccountId", "").strip()):
            return None
        return VaultEntry(fields["AccountId"].strip(), fields.get("Title", ""), fields.get("Email", ""), False, found[0])

    def find(self, ref: str) -> VaultEntry:
        """The entry an ACCOUNT argument names (``usable``: refused if it holds a seed)."""
        return self.usable(self._find(ref))

    def _find(self, ref: str) -> VaultEntry:
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
        matches = [u for u in self.unrecognised() if u.name == title]
        if not matches:
            raise NotFoundError(f"no vault entry titled {title!r} without an AccountId: see 'rootkeeper list'")
        if len(matches) > 1:
            raise InputError(f"{len(matches)} entries are titled {title!r}: rename all but one in KeePassXC first")
        if self.get(account.id) is not None:
            raise ExistsError(f"account {account.id} already has a vault entry ({self.get(account.id).name!r}): "
                              "merge the two in KeePassXC")
        self.adopt_many([(matches[0], account)])
        return self.get(account.id)

    def find_any(self, ref: str) -> VaultEntry:
        """The active entry of an account, else its (latest) retired one: for retiring it, which reveals no
        secret, so an entry holding a seed is found too (moved aside as it is)."""
        try:
            return self._find(ref)
        except NotFoundError:
            ref = ref.strip()
            retired = [e for e in self.entries(include_retired=True) if e.retired and ref in (e.account_id, e.name)]
            if len({e.account_id for e in retired}) == 1:
                return retired[-1]
            raise

    def password(self, entry: VaultEntry) -> str:
        return self._fields_of(entry.element).get("Password", "")

    def add(self, account: Account, password: str) -> VaultEntry:
        self._known.clear()
        from pykeepass.entry import Entry

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
        clash = [account.id for account, _pw in pairs if self.get(account.id) is not None]
        if clash:
            raise ExistsError(f"account {clash[0]} already has a vault entry ({len(clash)} of the accounts given do): "
                              "leave them out, or use 'rootkeeper rotate' to change a password")
        return [self.add(account, password) for account, password in pairs]

    def adopt_many(self, pairs: list[tuple[VaultEntry, Account]]) -> None:
        """Adopt each hand-added entry as its account, in one pass (what ``adopt`` does for one)."""
        self._known.clear()
        from pykeepass.entry import Entry

        group = self._group_of(self._group(ACTIVE_GROUP, create=True))
        for found, account in pairs:
            wrapped = Entry(element=found.element, kp=self.kp)
            wrapped.save_history()
            wrapped.set_custom_property("AccountId", account.id)
            wrapped.set_custom_property("Email", account.email)
            if found.element.getparent() is not group._element:
                self.kp.move_entry(wrapped, group)
            wrapped.touch(modify=True)
        self._index = None

    def rotate(self, entry: VaultEntry, new_password: str) -> None:
        self._known.clear()
        from pykeepass.entry import Entry

        wrapped = Entry(element=entry.element, kp=self.kp)
        wrapped.save_history()
        wrapped.password = new_password
        wrapped.touch(modify=True)

    def retire(self, entry: VaultEntry) -> None:
        self._known.clear()
        from pykeepass.entry import Entry

        group = self._group(RETIRED_GROUP, create=True)
        wrapped = Entry(element=entry.element, kp=self.kp)
        wrapped.save_history()
        self.kp.move_entry(wrapped, self._group_of(group))
        wrapped.touch(modify=True)
        self._index = None


_PLACEHOLDER = re.compile(r"\{(?:REF:|TITLE\}|USERNAME\}|URL\}|PASSWORD\}|NOTES\}|S:|UUID\}|T-REPLACE-RX:|T-CONV:)",
                          re.IGNORECASE)


@dataclass
class KeePassEntry:
    """One entry of a database kept by hand: its fields, and the path of its group below the root group
    ("AWS/roots"; "" for the root group itself)."""

    fields: dict[str, str]
    group: str


def _group_path(group) -> str:
    names = []
    while group is not None and group.tag == "Group" and group.getparent() is not None \
            and group.getparent().tag == "Group":
        names.append(_name_of(group) or "")
        group = group.getparent()
    return "/".join(reversed(names))


def read_keepass(path: Path, password: str, key_file: Path | None = None) -> list[KeePassEntry]:
    """The fields of every entry of any KeePass 2 database (KDBX 3.1 or 4, Argon2 or AES-KDF), read
    only: the database a team kept by hand, to migrate. History items and the recycle bin are left out.
    A field reference (``{REF:P@I:...}``) is resolved as KeePass resolves it (pykeepass's ``deref``);
    one that names no entry, or any other placeholder, is refused naming the entry: copied literally,
    it would become a wrong root password."""
    path = Path(path)
    data = fsutil.read_bytes(path, "KeePass database")
    key = _key_bytes(key_file)
    if not data.startswith(KDBX_MAGIC):
        raise InputError(f"{shown_path(path)} is not a KeePass database: give the .kdbx file to migrate")
    where = shown_path(path)
    wrong = f"wrong password{' or key file' if key_file else ' (does it need --from-key-file?)'} for {where}"
    header = _outer_header(data, where)
    try:
        transformed = _aes_transformed_key(data, header, password, key)
    except (AttributeError, KeyError):
        raise CorruptError(f"{where} has a damaged header: open it in KeePassXC and save it again") from None
    if transformed is None:
        check_kdf_header(data, path)
    kp, _suspect = _open_database(data, password, key, where=where, wrong=wrong, key_file=key_file,
                                  transformed_key=transformed)
    kind_of = _group_kinds(kp.tree)
    out = []
    for element in kp.tree.iter("Entry"):
        group = element.getparent()
        if group is None or group.tag != "Group" or kind_of(group) == "deleted":
            continue  # a history item, or deleted in KeePass (in the recycle bin)
        fields = _fields(element)
        for name, value in fields.items():
            if "{" not in value or not _PLACEHOLDER.search(value):
                continue
            try:
                resolved = kp.deref(value) if "{REF:" in value.upper() else None
            except Exception:  # a malformed reference (pykeepass parses its UUID, its field letters)
                resolved = None
            if resolved is None or _PLACEHOLDER.search(str(resolved)):
                raise InputError(
                    f"entry {fields.get('Title', '(untitled)')!r} of {where}: its {name} is a KeePass reference or "
                    "placeholder that does not resolve to a value: copy the real value into the entry in "
                    "KeePassXC, then migrate again")
            fields[name] = str(resolved)
        out.append(KeePassEntry(fields, _group_path(group)))
    return out
