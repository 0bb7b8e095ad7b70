"""Redaction: what an error message, a log line or a report may show of a value that could be a secret.

A column mix-up can put a seed or a password where a name, id or e-mail belongs, and a secret can be
pasted where a file name belongs: such values are described (their length), never printed.
"""

from __future__ import annotations

import os
import re


def shown(value: str) -> str:
    """A value as error messages may show it: never something that could be a secret.

    A column mix-up can put a seed or a password where a name, id or e-mail belongs;
    such values are described, not printed.
    """
    text = str(value)
    looks_secret = len(text) > 40 or (
        len(text) >= 16 and re.fullmatch(r"[A-Za-z2-7= ]+", text) and not re.search(r"[a-z]{4}[-_. ]", text)
    ) or (len(text) >= 12 and sum(not c.isalnum() for c in text) >= 3 and "@" not in text)
    return f"<{len(text)} characters, not shown>" if looks_secret else repr(text)


def shown_as(value: str, shape: str) -> str:
    """A value of a field with a known shape: printed only if it has that shape (a password pasted
    into the wrong CSV column must not be echoed because it happens to look harmless)."""
    text = str(value)
    return shown(text) if re.fullmatch(shape, text.strip()) else f"<{len(text)} characters, not shown>"


def shown_path(value: str | os.PathLike) -> str:
    """A file name given where a secret's file belongs, as an error may show it.

    A secret pasted in place of the file name must not be echoed: the name is shown only
    when it looks like a path (a separator or an extension, its directory exists) and
    ``shown`` would show it.
    """
    text = str(value)
    parent = os.path.dirname(text) or "."
    looks_like_path = (os.sep in text or "/" in text or re.search(r"\.[A-Za-z0-9]{1,8}$", text)) and os.path.isdir(parent)
    return repr(text) if looks_like_path and not shown(text).startswith("<") else f"<{len(text)} characters, not shown>"
