"""Redaction: what an error message, a log line or a report may show of a value that could be a secret.

A column mix-up can put a seed or a password where a name, id or e-mail belongs, and a secret can be
pasted where a file name belongs: such values are described (their length), never printed.
"""

from __future__ import annotations

import os
import re

AGE_IDENTITY = "AGE-SECRET-KEY-"  # noqa: S105 - how every age secret key (an identity) begins, never a key


def shown(value: str) -> str:
    """A value as error messages may show it: never something that could be a secret.

    A column mix-up can put a seed or a password where a name, id or e-mail belongs;
    such values are described, not printed.
    """
    text = str(value)
    looks_secret = len(text) > 40 or (
        len(text) >= 16 and re.fullmatch(r"[A-Za-z2-7= ]+", text) and not re.search(r"[a-z]{4}[-_. ]", text)
    ) or (len(text) >= 12 and sum(not c.isalnum() for c in text) >= 3 and "@" not in text)
    return _hidden(text) if looks_secret else repr(text)


def shown_as(value: str, shape: str) -> str:
    """A value of a field with a known shape: printed only if it has that shape (a password pasted
    into the wrong CSV column must not be echoed because it happens to look harmless)."""
    text = str(value)
    return shown(text) if re.fullmatch(shape, text.strip()) else _hidden(text)


def shown_path(value: str | os.PathLike) -> str:
    """A file name the user gave, as an error may show it: by what it is, not by its shape.

    A path is shown: it names a file or a directory that exists, or it is written as a path (a separator
    or an extension) in a directory that exists, however many '/' and '.' it has. A secret pasted in place
    of the file name is not: it names nothing and is not written as a path where one could be (and an age
    secret key is never shown, wherever it is pasted).
    """
    text = str(value)
    if AGE_IDENTITY in text.upper():
        return _hidden(text)
    if os.path.lexists(text):
        return repr(text)
    written_as_path = os.sep in text or "/" in text or re.search(r"\.[A-Za-z0-9]{1,8}$", text)
    return repr(text) if written_as_path and os.path.isdir(os.path.dirname(text) or ".") else _hidden(text)


def shown_key(value: str) -> str:
    """An age key given where a public key (a recipient) belongs: a public key is shown (it is public,
    even when mistyped); a secret key, or anything that is not written as an age public key, is ``shown``."""
    text = str(value).strip()
    if text[:4].lower() == "age1" and re.fullmatch(r"[A-Za-z0-9]{5,100}", text):  # (a secret key begins AGE-)
        return repr(text)
    return shown(text)


def _hidden(text: str) -> str:
    return f"<{len(text)} characters, not shown>"
