"""Reading a KeePass KDBX 4 database, for the commands that only read the vault.

Break glass (``password``) and ``list`` read the vault and change nothing. pykeepass, which
writes the vault, reads it through construct and decrypts each protected value with its own
call; at 10,000 entries that is more than the key derivation. This reader follows the KDBX 4
format (keepass.info/help/kb/kdbx_4.html) with the same checks: the header's SHA-256 and HMAC
(a wrong password or key file), every block's HMAC (a damaged or edited file), then decrypts
(AES-256-CBC or ChaCha20), decompresses as it goes, parses the XML with lxml and decrypts all
protected values with one call of the inner stream cipher. Nothing is written; the writers still
open the vault with pykeepass (``vault.Vault.open(writable=True)``), and the tests read the same
files with both, and with keepassxc-cli.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

SIGNATURE = b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5"
AES256 = bytes.fromhex("31c1f2e6bf714350be5805216afc5aff")
CHACHA20 = bytes.fromhex("d6038a2b8b6f4cb5a524339a31dbb59a")
ARGON2D = bytes.fromhex("ef636ddf8c29444b91f7a9a403e30a0c")
ARGON2ID = bytes.fromhex("9e298b1956db4773b23dfc3ec6f0a1e6")
AES_KDF = bytes.fromhex("c9d9f39a628a4460bf740d08c18a4fea")
MAX_AES_ROUNDS = 2 ** 32  # far above any setting (KeePassXC's one second is about 60 million here)
# Payloads up to this size (compressed, about 20,000 rootkeeper entries) are parsed whole, then read:
# faster; larger ones are read as they stream in, so that their XML never stands whole in memory.
WHOLE_PARSE_LIMIT = 2 * 1024 * 1024
SALSA20_NONCE = bytes.fromhex("e830094b97205d2a")
# What XML 1.0 allows in text (pykeepass strips the rest from decrypted values; so does this reader).
_NOT_XML = re.compile("[^\u0020-\ud7ff\u0009\u000a\u000d\ue000-\ufffd\U00010000-\U0010ffff]+")


class KdbxError(Exception):
    """The file cannot be read (``kind``: credentials, key-file, corrupt, unsupported)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail or kind)
        self.kind = kind


class Passed(Exception):  # noqa: N818 - not an error of its own: carries the caller's
    """An error of the caller's ``meanwhile`` work, carried out of ``read`` unchanged (``.error``)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Database:
    root: object  # the KeePassFile element (lxml); each entry emptied, its fields in ``fields``
    fields: dict  # entry element -> its fields (key -> value, protected values decrypted)
    history: dict  # entry element -> the fields of each of its history items
    keys: set  # every field name in the database
    suspect: bool  # some value may hold 'otpauth:' (the exact check reads the fields)
    version: tuple[int, int]
    kdf: dict[str, bytes]  # the KDF parameters of the header ($UUID, S, M, I, P, V)
    transformed_key: bytes


def key_file_composite(data: bytes) -> bytes:
    """The key a KeePass key file stands for (the rules KeePass and pykeepass follow): an XML key file
    (1.0: base64; 2.0: hex, checked against its hash), 32 raw bytes, 64 hex digits, else the file's SHA-256."""
    if data.lstrip().startswith(b"<"):
        from lxml import etree

        try:
            tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
            version = tree.findtext("Meta/Version") or ""
            element = tree.find("Key/Data")
        except etree.XMLSyntaxError:
            version, element = "", None
        if element is not None and version.startswith("1.0"):
            return base64.b64decode(element.text or "")
        if element is not None and version.startswith("2.0"):
            key = bytes.fromhex((element.text or "").strip())
            if bytes.fromhex(element.get("Hash", "")) != hashlib.sha256(key).digest()[:4]:
                raise KdbxError("key-file", "the key file's check hash does not match")
            return key
    if len(data) == 32:
        return data
    if len(data) == 64 and re.fullmatch(rb"[0-9a-fA-F]{64}", data):
        return bytes.fromhex(data.decode())
    return hashlib.sha256(data).digest()


def _variant_dictionary(blob: bytes) -> dict[str, bytes]:
    out, pos = {}, 2  # a 2-byte version first
    while pos < len(blob):
        kind = blob[pos]
        if kind == 0:
            return out
        key_len = int.from_bytes(blob[pos + 1:pos + 5], "little")
        key = blob[pos + 5:pos + 5 + key_len].decode("utf-8", "replace")
        pos += 5 + key_len
        value_len = int.from_bytes(blob[pos:pos + 4], "little")
        out[key] = blob[pos + 4:pos + 4 + value_len]
        pos += 4 + value_len
    raise KdbxError("corrupt", "KDF parameters not terminated")


def read_header(data: bytes) -> tuple[dict[int, bytes], int]:
    """The outer header's fields (id -> value) and where the header ends."""
    if data[:8] != SIGNATURE or len(data) < 12:
        raise KdbxError("corrupt", "not a KeePass 2 database")
    if int.from_bytes(data[10:12], "little") != 4:
        raise KdbxError("unsupported", "not KDBX 4")
    fields, pos = {}, 12
    while True:
        if pos + 5 > len(data):
            raise KdbxError("corrupt", "header not terminated")
        field_id, size = data[pos], int.from_bytes(data[pos + 1:pos + 5], "little")
        value = data[pos + 5:pos + 5 + size]
        pos += 5 + size
        if field_id == 0:
            return fields, pos
        fields[field_id] = value


def kdf_parameters(data: bytes) -> dict[str, bytes]:
    fields, _end = read_header(data)
    if 11 not in fields:
        raise KdbxError("corrupt", "no KDF parameters")
    return _variant_dictionary(fields[11])


def aes_kdf(seed: bytes, rounds: int, composite: bytes) -> bytes:
    """KeePass's AES-KDF: each half of the composite key encrypted ``rounds`` times with AES-256-ECB keyed
    by ``seed``, then SHA-256. Encrypting zeros in CBC mode from the half as IV gives the same chain
    (C_i = E(C_{i-1})) in one C call per megabyte, where pykeepass loops in Python (a minute at
    KeePassXC's default of about 60 million rounds)."""
    if rounds > MAX_AES_ROUNDS:
        raise KdbxError("corrupt", "AES-KDF rounds beyond any setting")
    aes = _cipher_module("AES")
    size = 1 << 16
    zeros, buffer = bytes(16 * size), bytearray(16 * size)
    out = b""
    for half in (composite[:16], composite[16:32]):
        block, left = half, rounds
        while left:
            step = min(left, size)
            view = memoryview(buffer)[:16 * step]
            aes.new(seed, aes.MODE_CBC, iv=block).encrypt(zeros[:16 * step] if step < size else zeros, output=view)
            block = bytes(view[-16:])
            left -= step
        out += block
    return hashlib.sha256(out).digest()


def composite_key(password: str | None, key_file: bytes | None) -> bytes:
    return hashlib.sha256((hashlib.sha256(password.encode("utf-8")).digest() if password is not None else b"")
                          + (key_file_composite(key_file) if key_file is not None else b"")).digest()


def transform(composite: bytes, params: dict[str, bytes]) -> bytes:
    """The key derivation the header asks for, Argon2 or AES-KDF (the caller checked its costs)."""
    from argon2.low_level import Type, hash_secret_raw

    if params.get("$UUID") == AES_KDF:
        return aes_kdf(params["S"], int.from_bytes(params.get("R", b""), "little"), composite)
    kind = {ARGON2D: Type.D, ARGON2ID: Type.ID}.get(params.get("$UUID", b""))
    if kind is None:
        raise KdbxError("unsupported", "neither Argon2 nor AES-KDF")
    number = lambda key: int.from_bytes(params.get(key, b""), "little")  # noqa: E731
    return hash_secret_raw(secret=composite, salt=params["S"], time_cost=number("I"), memory_cost=number("M") // 1024,
                           parallelism=number("P"), hash_len=32, type=kind, version=number("V") or 0x13)


def read(data: bytes, password: str | None, key_file: bytes | None, *, transformed_key: bytes | None = None,
         meanwhile: Callable[[], object] | None = None) -> Database:
    """Open a KDBX 4 database held in ``data`` with ``password`` and the bytes of ``key_file``.
    ``meanwhile``: work of the caller's to do while the key is derived (its errors are raised as they are)."""
    fields, end = read_header(data)
    if len(data) < end + 64:
        raise KdbxError("corrupt", "truncated after the header")
    header, stored_sha, stored_hmac = data[:end], data[end:end + 32], data[end + 32:end + 64]
    if hashlib.sha256(header).digest() != stored_sha:
        raise KdbxError("corrupt", "header checksum mismatch")
    params = _variant_dictionary(fields.get(11, b""))
    if transformed_key is None:
        transformed_key = _derive_while_loading(composite_key(password, key_file), params, fields.get(2, b""), meanwhile)
    seed = fields.get(4, b"")
    hmac_base = hashlib.sha512(seed + transformed_key + b"\x01").digest()

    def block_key(index: int) -> bytes:
        return hashlib.sha512(struct.pack("<Q", index) + hmac_base).digest()

    if not hmac.compare_digest(hmac.new(block_key(0xFFFFFFFFFFFFFFFF), header, hashlib.sha256).digest(), stored_hmac):
        raise KdbxError("credentials")
    blocks, pos, index = [], end + 64, 0
    while True:
        if pos + 36 > len(data):
            raise KdbxError("corrupt", "truncated block")
        mac, size = data[pos:pos + 32], int.from_bytes(data[pos + 32:pos + 36], "little")
        block = data[pos + 36:pos + 36 + size]
        if len(block) != size:
            raise KdbxError("corrupt", "truncated block")
        expected = hmac.new(block_key(index), struct.pack("<QI", index, size) + block, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, mac):
            raise KdbxError("corrupt", f"block {index} does not match its HMAC")
        pos += 36 + size
        index += 1
        if size == 0:
            break
        blocks.append(block)
    cipher_key = hashlib.sha256(seed + transformed_key).digest()
    payload = _decrypt(fields.get(2, b""), cipher_key, fields.get(7, b""), b"".join(blocks))
    del blocks
    compressed = int.from_bytes(fields.get(3, b"\0\0\0\0"), "little") == 1
    root, reading = _parse_inner(payload, compressed)
    version = (int.from_bytes(data[10:12], "little"), int.from_bytes(data[8:10], "little"))
    return Database(root, reading.fields, reading.history, reading.keys, reading.suspect, version, params,
                    transformed_key)


def _derive_while_loading(composite: bytes, params: dict[str, bytes], cipher_id: bytes,
                          meanwhile: Callable[[], object] | None = None) -> bytes:
    """The key derivation (argon2 releases the GIL) in a thread, while this one imports what reading the
    payload needs: the imports cost nothing on top of the derivation."""
    import threading

    out: dict = {}

    def derive() -> None:
        try:
            out["key"] = transform(composite, params)
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the caller's thread
            out["error"] = exc

    worker = threading.Thread(target=derive, name="kdf", daemon=True)
    worker.start()
    from lxml import etree  # noqa: F401

    _cipher_module("AES" if cipher_id == AES256 else "ChaCha20")
    try:
        if meanwhile is not None:
            meanwhile()
    except Exception as exc:  # noqa: BLE001 - the caller's, raised again by the caller unchanged
        raise Passed(exc) from None
    finally:
        worker.join()
    if "error" in out:
        raise out["error"]
    return out["key"]


def kdbx3_transformed_key(data: bytes, password: str | None, key_file: bytes | None) -> bytes:
    """The transformed key of a KDBX 3.1 file (AES-KDF; its header fields have 2-byte sizes), to open it
    with pykeepass without its Python loop over the rounds."""
    if data[:8] != SIGNATURE or int.from_bytes(data[10:12], "little") != 3:
        raise KdbxError("unsupported", "not KDBX 3")
    fields, pos = {}, 12
    while pos + 3 <= len(data):
        field_id, size = data[pos], int.from_bytes(data[pos + 1:pos + 3], "little")
        fields[field_id] = data[pos + 3:pos + 3 + size]
        pos += 3 + size
        if field_id == 0:
            break
    if 5 not in fields or 6 not in fields:
        raise KdbxError("corrupt", "no transform seed or rounds")
    return aes_kdf(fields[5], int.from_bytes(fields[6], "little"), composite_key(password, key_file))


def _cipher_module(name: str):
    """A pycryptodomex cipher module. Loaded through ctypes, its documented fallback: with cffi it
    parses its C declarations with pycparser on every start (about 20 ms of a break-glass command)."""
    import importlib
    import sys

    if "Cryptodome.Util._raw_api" in sys.modules or "cffi" in sys.modules:
        return importlib.import_module(f"Cryptodome.Cipher.{name}")
    sys.modules["cffi"] = None  # makes 'import cffi' fail inside Cryptodome.Util._raw_api only
    try:
        return importlib.import_module(f"Cryptodome.Cipher.{name}")
    finally:
        del sys.modules["cffi"]


def _decrypt(cipher_id: bytes, key: bytes, iv: bytes, data: bytes) -> bytes:
    if cipher_id == AES256:
        aes = _cipher_module("AES")
        plain = aes.new(key, aes.MODE_CBC, iv).decrypt(data)
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
            raise KdbxError("corrupt", "bad padding")
        return plain[:-pad]
    if cipher_id == CHACHA20:
        return _cipher_module("ChaCha20").new(key=key, nonce=iv).decrypt(data)
    raise KdbxError("unsupported", "cipher is neither AES-256 nor ChaCha20 (Twofish?)")


def _parse_inner(payload: bytes, compressed: bool) -> tuple:
    """Decompress and parse as it goes: the inner header, then the XML. Each entry, once parsed, gives its
    fields to a table and is emptied (kept in its place, so that its path still names it): a vault of
    100,000 entries never stands in memory as a tree of millions of nodes. Returns (root, fields,
    history, in an ``_Entries``); the protected values are decrypted at the end, with one call of the
    inner stream cipher. A small payload is parsed whole first (faster), then read the same way."""
    from lxml import etree

    chunks = _chunks(payload, compressed)
    head, pos, done = b"", 0, False
    stream_id, stream_key = None, None
    for chunk in chunks:  # the inner header: fields until the end marker, then the XML
        head += chunk
        while not done and pos + 5 <= len(head):
            field_id, size = head[pos], int.from_bytes(head[pos + 1:pos + 5], "little")
            if pos + 5 + size > len(head):
                break
            value = head[pos + 5:pos + 5 + size]
            pos += 5 + size
            if field_id == 0:
                done = True
            elif field_id == 1:
                stream_id = int.from_bytes(value, "little")
            elif field_id == 2:
                stream_key = value
        if done:
            break
    if not done:
        raise KdbxError("corrupt", "inner header not terminated")
    options = {"remove_blank_text": True, "resolve_entities": False, "no_network": True, "huge_tree": True}
    reading = _Entries()
    if len(payload) <= WHOLE_PARSE_LIMIT:
        parser = etree.XMLParser(**options)
        try:
            parser.feed(head[pos:])
            del head
            for chunk in chunks:
                parser.feed(chunk)
            root = parser.close()
        except etree.XMLSyntaxError:
            raise KdbxError("corrupt", "the XML does not parse") from None
        reading.take(("end", element) for element in list(root.iter("Entry")))
    else:
        root = _pull(etree, options, head[pos:], chunks, reading)
        del head
    if not reading.started:
        reading.meta(root)
    reading.unprotect(stream_id, stream_key or b"")
    return root, reading


def _pull(etree, options: dict, first: bytes, chunks, reading: _Entries):
    """The XML parsed as it streams in, each entry read (and emptied) as soon as it ends."""
    parser = etree.XMLPullParser(events=("end",), tag="Entry", **options)
    try:
        parser.feed(first)
        reading.take(parser.read_events())
        for chunk in chunks:
            parser.feed(chunk)
            reading.take(parser.read_events())
        root = parser.close()
        reading.take(parser.read_events())
    except etree.XMLSyntaxError:
        raise KdbxError("corrupt", "the XML does not parse") from None
    return root


class _Entries:
    """What the streaming parse keeps of each entry: its fields (key -> value) and its history items'."""

    def __init__(self) -> None:
        self.fields: dict = {}  # entry element (emptied) -> its fields
        self.history: dict = {}  # entry element -> [fields of each history item]
        self.started = False
        self.keys: set[str] = set()  # every field name (a cheap first look for MFA seeds)
        self.suspect = False  # some value holds 'otpauth:' in any case (or two adjacent protected ones do)
        self._plain: list[str] = []  # values not protected, looked at a few thousand at a time
        self._raw: list[bytes] = []  # protected values, in document order, still encrypted
        self._slots: list = []  # where each goes: (fields dict, key) or (element, None)

    def take(self, events) -> None:
        for _event, element in events:
            parent = element.getparent()
            if parent is None or parent.tag != "Group":
                continue  # a history item: read with its entry
            if not self.started:
                self.meta(element.getroottree().getroot())
            # Protected values are in the inner stream in document order: the entry's history may come
            # before or after its own fields, so every String is read in document order.
            own: dict[str, str] = {}
            items = {item: {} for history in element.iterchildren("History") for item in history.iterchildren("Entry")}
            for string in element.iter("String"):
                holder = string.getparent()
                self._string(string, own if holder is element else items.setdefault(holder, {}))
            self.fields[element] = own
            if items:
                self.history[element] = list(items.values())
            element.clear()

    def meta(self, root) -> None:
        """Protected values before the first entry (KeePass writes none there): kept in the stream's order."""
        self.started = True
        meta = root.find("Meta")
        if meta is not None:
            for value in meta.iter("Value"):
                if value.get("Protected") == "True" and value.text:
                    self._protected(value.text, (value, None))

    def _string(self, string, out: dict[str, str]) -> None:
        key, value = None, None
        for child in string:
            if child.tag == "Key":
                key = child.text
            elif child.tag == "Value":
                value = child
        if key is None:
            return
        self.keys.add(key)
        text = value.text if value is not None else None
        out[key] = text or ""
        if text and value.get("Protected") == "True":
            self._protected(text, (out, key))
        elif text:
            self._plain.append(text)
            if len(self._plain) >= 8192:
                self._look()

    def _look(self) -> None:
        self.suspect = self.suspect or "otpauth:" in "\x00".join(self._plain).lower()
        self._plain.clear()

    def _protected(self, text: str, slot) -> None:
        try:
            raw = base64.b64decode(text, validate=False)
        except ValueError:
            return  # pykeepass leaves such a value as it is, and does not advance the stream
        self._raw.append(raw)
        self._slots.append(slot)

    def unprotect(self, stream_id: int | None, key: bytes) -> None:
        """Decrypt every protected value in document order, as one stream (what KeePass wrote)."""
        self._look()
        if not self._raw:
            return
        if stream_id == 3:
            digest = hashlib.sha512(key).digest()
            cipher = _cipher_module("ChaCha20").new(key=digest[:32], nonce=digest[32:44])
        elif stream_id == 2:
            cipher = _cipher_module("Salsa20").new(key=hashlib.sha256(key).digest(), nonce=SALSA20_NONCE)
        else:
            raise KdbxError("unsupported", f"inner stream cipher {stream_id}")
        plain = cipher.decrypt(b"".join(self._raw))
        self.suspect = self.suspect or b"otpauth:" in plain.lower()
        at = 0
        for raw, (where, key_name) in zip(self._raw, self._slots, strict=True):
            piece = plain[at:at + len(raw)]
            at += len(raw)
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:
                continue
            text = _NOT_XML.sub("", text) if not text.isprintable() else text
            if key_name is None:
                where.text = text
            else:
                where[key_name] = text
        self._raw, self._slots = [], []


def _chunks(payload: bytes, compressed: bool, size: int = 1 << 16):
    if not compressed:
        for at in range(0, len(payload), size):
            yield payload[at:at + size]
        return
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        for at in range(0, len(payload), size):
            out = inflate.decompress(payload[at:at + size])
            if out:
                yield out
        tail = inflate.flush()
    except zlib.error:
        raise KdbxError("corrupt", "the payload does not decompress") from None
    if tail:
        yield tail

_CHUNKS = _chunks  # the tests feed tiny chunks through it
