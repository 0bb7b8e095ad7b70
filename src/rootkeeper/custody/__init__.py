"""Custody: a checked plan for where every copy lives, media with manifests, drills, key shares.

- ``plan``: the plan file (TOML), read all or nothing, every error naming its line;
- ``check``: the plan proven against the threat model, each finding with its chain (pure rules);
- ``layout``: the write-up's own layout, written by ``custody init``;
- ``diagram``: the plan as a picture (graphviz).

Key shares need shamir-mnemonic and pictures graphviz (``pip install 'rootkeeper[custody]'``).
"""

from __future__ import annotations

import importlib.util

from ..errors import InputError


def require(modules: tuple[str, ...], what: str) -> None:
    """Refuse, naming the extra to install, when an optional package is absent."""
    absent = [name for name in modules if importlib.util.find_spec(name) is None]
    if absent:
        raise InputError(f"{what} needs {', '.join(absent)}, which is not installed: pip install 'rootkeeper[custody]'")
