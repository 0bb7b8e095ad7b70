"""Key shares: the seed store's age identity split M-of-N into SLIP-39 mnemonics (shamir-mnemonic).

An age X25519 identity is 32 secret bytes, written ``AGE-SECRET-KEY-1...`` in Bech32 (BIP 173,
upper case). ``split`` turns those bytes into N mnemonic shares, any M of which rebuild them
(``combine``), in memory only. SLIP-39 accepts any passphrase and then silently yields a different
secret; so every share names the identity's public key (its recipient, ``age1...``), and a
rebuilt identity whose public key is not that recipient, or not one of the seed store's
recipients, is refused as a wrong passphrase or shares of another identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import InputError

IDENTITY_HRP = "age-secret-key-"
_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_MNEMONIC = re.compile(r"^(?:mnemonic:\s*)?((?:[a-z]{4,8}\s+){19,}[a-z]{4,8})\s*$")


# ------------------------------------------------------------------ Bech32 (BIP 173), as age writes identities
def _polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def _expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = bits = 0
    out = []
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & ((1 << to_bits) - 1))
    if pad and bits:
        out.append((acc << (to_bits - bits)) & ((1 << to_bits) - 1))
    elif not pad and (bits >= from_bits or (acc << (to_bits - bits)) & ((1 << to_bits) - 1)):
        raise ValueError("invalid padding")
    return out


def identity_to_bytes(identity: str) -> bytes:
    """The 32 secret bytes of an ``AGE-SECRET-KEY-1...`` identity (its Bech32 checksum verified)."""
    text = identity.strip().lower()
    hrp, _, data = text.rpartition("1")
    if hrp != IDENTITY_HRP or len(data) < 6 or any(c not in _CHARSET for c in data):
        raise InputError("that is not an age identity (AGE-SECRET-KEY-1...): give one made by age-keygen")
    values = [_CHARSET.index(c) for c in data]
    if _polymod(_expand(hrp) + values) != 1:
        raise InputError("the age identity's checksum does not match: it is mistyped or damaged")
    secret = bytes(_convert(values[:-6], 5, 8, False))
    if len(secret) != 32:
        raise InputError("the age identity does not hold 32 bytes: it is not an X25519 identity")
    return secret


def bytes_to_identity(secret: bytes) -> str:
    values = _convert(secret, 8, 5, True)
    checksum = _polymod(_expand(IDENTITY_HRP) + values + [0] * 6) ^ 1
    values += [(checksum >> 5 * (5 - i)) & 31 for i in range(6)]
    return (IDENTITY_HRP + "1" + "".join(_CHARSET[v] for v in values)).upper()


def recipient_of(identity: str) -> str:
    from ..stores.seeds.store import public_of

    return public_of(identity)


# ------------------------------------------------------------------ split and combine
@dataclass
class Split:
    recipient: str
    threshold: int
    mnemonics: list[str]


def split(identity: str, threshold: int, count: int, passphrase: bytes = b"") -> Split:
    from shamir_mnemonic import generate_mnemonics

    if not 1 <= threshold <= count <= 16:
        raise InputError("shares: choose 1 <= --threshold <= --shares <= 16 (e.g. --threshold 3 --shares 5)")
    if threshold == 1 and count > 1:
        raise InputError("--threshold 1 makes every share a whole copy of the identity: choose 2 or more")
    secret = identity_to_bytes(identity)
    groups = generate_mnemonics(1, [(threshold, count)], secret, passphrase)
    return Split(recipient_of(identity), threshold, list(groups[0]))


def read_mnemonics(text: str, source: str) -> list[str]:
    """The mnemonic lines of a shares file: lines of 20 or more lower-case words (or 'mnemonic: ...', as a
    share file writes them); everything else (headers, numbered word lists, comments) is skipped."""
    found = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        clean = line.strip().lower()  # a share typed in capitals is the same share
        match = _MNEMONIC.match(clean)
        if match:
            found.append(" ".join(match.group(1).split()))
        elif clean.startswith("mnemonic:") or (len(clean.split()) >= 19
                                                and all(word.isascii() and word.isalnum() for word in clean.split())):
            raise InputError(f"{source} line {number} is not a SLIP-39 share (20 or 33 words of the SLIP-39 list, "
                             "letters only): retype it as printed on the share")
    if not found:
        raise InputError(f"{source} holds no SLIP-39 share: give the 'mnemonic:' lines of the share files, one a line")
    return found


def combine(mnemonics: list[str], passphrase: bytes, recipients: list[str], source: str) -> str:
    """The identity the shares rebuild, checked against the seed store's recipients (in memory only)."""
    from shamir_mnemonic import MnemonicError, combine_mnemonics
    from shamir_mnemonic.share import Share

    try:
        mnemonics = list(dict.fromkeys(mnemonics))  # the same share twice is one share
        parsed = [Share.from_mnemonic(m) for m in mnemonics]
        simple = len({(s.identifier, s.group_threshold, s.group_count, s.member_threshold) for s in parsed}) == 1 \
            and parsed[0].group_count == 1 and len({s.index for s in parsed}) == len(parsed)
        threshold = parsed[0].member_threshold if simple else 0  # one group, as 'shares split' makes
        if simple and len(parsed) < threshold:
            raise InputError(f"{source}: the key shares do not combine: {len(parsed)} distinct key share"
                             f"{'s' if len(parsed) != 1 else ''} given, {threshold} needed: add the 'mnemonic:' "
                             "lines of more shares of this split")
        if simple and len(parsed) > threshold:  # more than needed: any M rebuild it, and every one must agree
            secret = combine_mnemonics(mnemonics[:threshold], passphrase)
            for extra in mnemonics[threshold:]:
                if combine_mnemonics(mnemonics[:threshold - 1] + [extra], passphrase) != secret:
                    raise MnemonicError("a share does not agree with the others")
        else:
            secret = combine_mnemonics(mnemonics, passphrase)
    except MnemonicError as exc:
        reason = re.sub(r'"[^"]*"', '"..."', str(exc))  # no word of a share is echoed
        raise InputError(f"{source}: the key shares do not combine ({reason}): give enough shares of one split, "
                         "each typed exactly") from None
    if len(secret) != 32:
        raise InputError(f"{source}: the key shares rebuild {len(secret)} bytes, not an age identity's 32")
    identity = bytes_to_identity(secret)
    recipient = recipient_of(identity)
    if recipients and recipient not in recipients:
        raise InputError(
            f"{source}: the key shares rebuild the identity of {recipient}, which is not a recipient of the seed store: "
            "a wrong SLIP-39 passphrase (set ROOTKEEPER_SHARES_PASSPHRASE), or shares of another identity"
        )
    return identity


def share_text(result: Split, index: int) -> str:
    """One share as a page of text: what it is, the words numbered, and the mnemonic line for a machine."""
    words = result.mnemonics[index].split()
    rows = []
    for start in range(0, len(words), 4):
        rows.append("   ".join(f"{n:>2} {w:<9}" for n, w in enumerate(words[start:start + 4], start + 1)).rstrip())
    count = len(result.mnemonics)
    return "\n".join([
        f"rootkeeper key share {index + 1} of {count}: any {result.threshold} of the {count} rebuild the seed store's "
        "age identity",
        f"identity of: {result.recipient}",
        "(a rebuilt identity whose public key is not this one means a wrong passphrase or shares of another split)",
        f"made by rootkeeper {__version__}; SLIP-39 (shamir-mnemonic, 'shamir recover' also reads it)",
        "",
        *rows,
        "",
        "mnemonic: " + result.mnemonics[index],
        "",
        "Keep this page away from the other shares and from the seed store's copies. To use: put the 'mnemonic:'",
        f"lines of {result.threshold} shares in one file and give it as --seeds-shares FILE.",
        "",
    ])


def share_paths(directory: Path, count: int) -> list[Path]:
    """Where ``share_files`` puts the shares; refused (before anything is written) if any exists."""
    if not directory.is_dir():
        raise InputError(f"directory {directory} does not exist: create it (ideally on the medium each share goes to)")
    paths = [directory / f"share-{k}-of-{count}.txt" for k in range(1, count + 1)]
    existing = [p.name for p in paths if p.exists() or p.is_symlink()]
    if existing:
        raise InputError(f"{directory} already holds {', '.join(existing)}: shares are never overwritten; choose "
                         "another directory")
    return paths


def share_files(result: Split, directory: Path) -> list[tuple[Path, bytes, None, int]]:
    """``share-K-of-N.txt`` in ``directory``, each 0600, as new files for ``Workspace.write_files``: all
    written, then recorded; a disk that fills on the third leaves no share and no record."""
    paths = share_paths(directory, len(result.mnemonics))
    return [(path, share_text(result, index).encode("utf-8"), None, 0o600) for index, path in enumerate(paths)]
