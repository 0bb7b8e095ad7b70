"""Break glass without importing click: ``rootkeeper code ACCOUNT --reason TEXT`` with plain arguments.

At the moment of breaking glass rootkeeper competes with ``age -d | grep | oathtool``, and importing
click (and every command's definition) is a third of a ``code`` run. When the arguments are plain —
the command ``code``, one ACCOUNT, and only options of the one table click's are declared from
(``cli/options.py``; ``--fresh`` aside), each given once, with a value
that does not look like an option — they are read here and the command runs the same body as the
click command (``code_body``). Anything else (``--help``, ``--fresh``, a missing ``--reason`` that a
terminal would prompt for, an unknown or repeated option, ``--``) goes to click, whose errors and
prompts stay the contract. ``tests/unit/test_quick_parse.py`` checks every plain form against click's
own parse of the same arguments.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from .options import AT, COMMON, DEBUG, DEVICE, REASON

# The options a plain code line may hold, from the table click's options are declared from (cli/options.py).
VALUE_OPTIONS = {flag: name for name, flag, _metavar, _help in [*COMMON, REASON, AT, DEVICE]}
FLAGS = {DEBUG[1]: DEBUG[0]}
CODE_OPTIONS = {REASON[1], AT[1], DEVICE[1]}  # the code command's own: click reads them after its name only


def parse(args: list[str]) -> dict | None:
    """The options of a plain ``code`` command line (name -> value, ``account`` and ``reason`` always
    there), or None: click reads it."""
    given: dict = {}
    positionals: list[str] = []
    pending = list(args)
    while pending:
        arg = pending.pop(0)
        if arg.startswith("--"):
            name, equals, value = arg.partition("=")
            if name in CODE_OPTIONS and not positionals:
                return None  # before the command's name: click refuses it, with its message
            if name in FLAGS and not equals:
                key, value = FLAGS[name], True
            elif name in VALUE_OPTIONS:
                if not equals:
                    if not pending or (pending[0].startswith("-") and pending[0] != "-"):
                        return None  # a missing value, or one that looks like an option: click's message
                    value = pending.pop(0)
                key = VALUE_OPTIONS[name]
            else:
                return None
            if key in given:
                return None
            given[key] = value
        elif arg.startswith("-") and arg != "-":
            return None  # -h and any short option
        else:
            positionals.append(arg)
    if len(positionals) != 2 or positionals[0] != "code" or "reason" not in given:
        return None
    given["account"] = positionals[1]
    return given


def run(given: dict) -> int:
    """Run a parsed ``code`` command line."""
    from . import inputs

    ws = inputs.make_workspace(given.get)
    try:
        code_body(ws, given["account"], given["reason"], given.get("at"), 0, device=given.get("device"),
                  out=lambda text: _write(sys.stdout, text), note=lambda text: _write(sys.stderr, text))
    finally:
        ws.release()
        for warning in ws.warnings:  # what it found that did not stop it (a notifier that failed)
            _write(sys.stderr, f"warning: {warning}")
    return 0


def code_body(ws, account: str, reason: str | None, at: str | None, fresh: int, *,
              out: Callable[[str], None], note: Callable[[str], None], device: str | None = None) -> None:
    """The ``code`` command: the current code on stdout (recorded first), the seconds left and the
    journal record on stderr."""
    from ..rules import totp
    from ..workflows import breakglass
    from . import inputs

    when = totp.parse_time(at) if at is not None else None
    why = inputs.reason(reason)
    result = breakglass.current_code(ws, account, why, when, fresh=fresh, device=device)
    out(result.code)
    note(f"{result.seconds_left}s left ({result.row.account_id} {result.row.account_name})")
    if result.devices > 1:
        from ..rules.devices import device_name

        note(f"the account has {result.devices} virtual MFA devices: choose {device_name(result.row.device_arn)} "
             "in the console (--device NAME gives another's code)")
    for seq, digest in ws.stamps:
        note(f"journal: record {seq} sha256:{digest}")


def _write(stream, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()
