"""Paper: the vault's emergency sheet, the seed sheet with QR codes, and restore from a scan.

- ``lines``: the typed lines and their checks, the page markers, the sheet's checksum (pure rules);
- ``pdf``: drawing pages, text and QR codes (reportlab, segno);
- ``seedsheet``: ``paper seeds``; ``emergency``: ``paper emergency-sheet``;
- ``scan``: reading QR codes from PDF pages and images (pypdfium2, Pillow, zxing-cpp);
- ``restore``: ``paper restore``, all or nothing.

Needs the optional packages (``pip install 'rootkeeper[paper]'``); ``missing()`` says what is absent.
Both sheets are plaintext secrets or their map: written to stdout, or to a new file (0600) never
overwritten, and every printing is journaled.
"""

from __future__ import annotations

import importlib.util

from ..errors import InputError

PRINTING = ("segno", "reportlab")
READING = ("pypdfium2", "PIL", "zxingcpp")


def missing(modules: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` this Python lacks."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def require(modules: tuple[str, ...], what: str) -> None:
    absent = missing(modules)
    if absent:
        raise InputError(f"{what} needs {', '.join(absent)}, which is not installed: pip install 'rootkeeper[paper]'")


def validate_classification(text: str) -> str:
    """The marking printed in a sheet's banners: 1-40 printable ASCII characters."""
    value = text.strip()
    if not value or len(value) > 40 or not all(0x20 <= ord(c) <= 0x7E for c in value):
        raise InputError("--classification takes 1-40 printable ASCII characters, e.g. 'Secret' or 'Restricted'")
    return value
