"""Where secrets come from on the command line: a file (``-`` for stdin), an environment
variable, or a hidden prompt on a terminal. Never an argument value."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..rules.redaction import AGE_IDENTITY, shown_path
from ..storage import fsutil

if TYPE_CHECKING:
    from ..storage.settings import Settings
    from ..workspace import Workspace


class Stdin:
    """Standard input can feed one secret (or one seed file) per command."""

    used_for: str | None = None

    @classmethod
    def read(cls, what: str, limit: int = fsutil.MAX_INPUT_BYTES) -> bytes:
        if cls.used_for is not None:
            raise InputError(f"standard input already gave the {cls.used_for}: read the {what} from a file instead")
        cls.used_for = what
        data = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise InputError(f"standard input gave more than {limit // 1024} KiB for the {what}: that is not one")
        return data


def wrapped(text: str) -> str:
    """``text`` for stderr: on a terminal, a line wider than it wrapped at word boundaries, its indentation kept
    (a word, a path or an e-mail is never broken in two)."""
    if not sys.stderr.isatty() or "\n" in text:
        return text
    import shutil
    import textwrap

    width = shutil.get_terminal_size().columns
    if len(text) <= width or width <= 20:
        return text
    indent = " " * (len(text) - len(text.lstrip(" ")))
    return "\n".join(textwrap.wrap(text, width - 1, subsequent_indent=indent + "   ", break_long_words=False,
                                   break_on_hyphens=False)) or text


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def terminal_for_secrets() -> bool:
    """Can a secret be asked for on the controlling terminal while standard input is busy (a pipe feeding a
    seed or a file), as ssh and keepassxc-cli ask? Never when there is no terminal (CI, cron, a service)."""
    if interactive() or sys.platform == "win32":
        return False
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def _ask_on_terminal(label: str) -> str:
    """A hidden prompt on /dev/tty (getpass reads and echoes there, never standard input)."""
    import getpass
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", getpass.GetPassWarning)  # no falling back to standard input
        try:
            return getpass.getpass(f"{label}: ")
        except getpass.GetPassWarning:
            raise InputError(f"the {label.lower()} cannot be asked for on the terminal: give it in a file") from None


def decoded(data: bytes) -> str:
    """Text of a file: UTF-8 (with or without a byte-order mark), or UTF-16 with its byte-order mark (what
    Windows PowerShell 5.1's '>' and Notepad's "Unicode" write). UnicodeDecodeError otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").lstrip("\ufeff")
    return data.decode("utf-8").lstrip("\ufeff")


def _first_line(data: bytes, what: str, source: str) -> str:
    try:
        text = decoded(data)
    except UnicodeDecodeError:
        raise InputError(f"the {what} in {source} is not UTF-8 text") from None
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line:
        raise InputError(f"{source} gave an empty {what}: its first line must hold it")
    return line


SECRET_FILE_LIMIT = 64 * 1024


def read_file_secret(path: str, what: str) -> str:
    if path == "-":
        return _first_line(Stdin.read(what, SECRET_FILE_LIMIT), what, "standard input")
    data = fsutil.read_bytes(Path(path), f"{what} file", secret=True, limit=SECRET_FILE_LIMIT)
    return _first_line(data, what, shown_path(path))


def secret(what: str, file_opt: str | None, file_flag: str, *, confirm: bool = False, env: str | None = None,
           sources: dict[str, str] | None = None) -> str:
    """A secret from its file (``-``: stdin), else its environment variable (``settings.SECRETS[what]``,
    or ``env``), else a hidden prompt on a terminal; ``sources`` is told where it came from (never what)."""
    from ..storage.settings import SECRETS

    told = sources if sources is not None else {}
    if file_opt:
        told[what] = "standard input" if file_opt == "-" else f"{file_flag} {shown_path(file_opt)}"
        return read_file_secret(file_opt, what)
    env = env or SECRETS[what.removeprefix("new ")]
    value = os.environ.get(env)
    if value:
        told[what] = env
        return value
    if interactive() or terminal_for_secrets():
        import click

        def ask(label: str) -> str:
            return click.prompt(label, hide_input=True, err=True) if interactive() else _ask_on_terminal(label)

        for _attempt in range(3):
            value = ask(f"{what[0].upper() + what[1:]}")
            if not value:
                raise InputError(f"empty {what}")
            if not confirm or ask("Type it again") == value:
                told[what] = "the prompt"
                return value
            click.echo("The two differ: type it again.", err=True)  # (click's own message is not one 'error:')
        raise InputError(f"the {what} was typed differently three times: nothing was created; run the command again")
    raise InputError(f"no {what}: give {file_flag} FILE (or - for stdin), set {env}, or run on a terminal")


def identities(settings: Settings, sources: dict[str, str] | None = None) -> list[str] | None:
    """The seed store's identities: from an identity file, or rebuilt in memory from key shares (a file of
    SLIP-39 mnemonics; their passphrase, if any, from ROOTKEEPER_SHARES_PASSPHRASE)."""
    from ..storage.settings import secret_from_environment
    from ..stores.seeds import read_identity_file

    chosen, shares = settings.seeds_identity, settings.seeds_shares
    told = sources if sources is not None else {}
    told["age identity"] = (f"key shares in {shown_path(shares)}" if shares and not chosen else
                            "standard input" if chosen == "-" else f"{shown_path(chosen)}" if chosen else "")
    if shares and not chosen:
        from ..custody import require
        from ..custody.shares import combine, read_mnemonics

        require(("shamir_mnemonic",), "--seeds-shares")
        text, source = read_input_file(shares, "key shares file", limit=SECRET_FILE_LIMIT)
        passphrase = (secret_from_environment("key shares' passphrase") or "").encode("utf-8")
        return [combine(read_mnemonics(text, source), passphrase, settings.config.recipients, source)]
    if not chosen:
        return None
    if chosen == "-":
        text = Stdin.read("age identity").decode("utf-8", "replace")
        keys = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(AGE_IDENTITY)]
        if not keys:
            raise InputError("standard input holds no AGE-SECRET-KEY-1 line")
        return keys
    return read_identity_file(Path(chosen))


def read_input_file(path: str, what: str, limit: int = fsutil.MAX_INPUT_BYTES) -> tuple[str, str]:
    """(text, source name) of an input file that holds secrets, such as a seed file or a CSV of seeds.
    Its name is not echoed unless it looks like a path (a seed pasted as the name must not be)."""
    if path == "-":
        data, source = Stdin.read(what, limit), "standard input"
    else:
        data, source = fsutil.read_bytes(Path(path), what, secret=True, limit=limit), shown_path(path)
    try:
        return decoded(data), source
    except UnicodeDecodeError:
        raise InputError(f"{source} is not UTF-8 text: save it as UTF-8 (CSV UTF-8 in a spreadsheet)") from None


def why(given: str | None, doing: str) -> str | None:
    """The reason for a change to custody or a bulk reveal (``doing``), recorded in the journal: as given,
    else asked for on a terminal, else none (a script runs the command as the contract says)."""
    from ..workflows.breakglass import check_reason

    if given is not None:
        return check_reason(given)
    if not interactive():
        return None
    import click

    return check_reason(click.prompt(f"Why {doing}? (recorded in the journal; a ticket helps)", err=True).strip())


def reason(given: str | None) -> str:
    from ..workflows.breakglass import ROOT_TASKS, check_reason

    if given is not None:
        return check_reason(given)
    if not interactive():
        raise InputError("a reason is required: give --reason TEXT (what root is needed for, and a ticket)")
    import click

    click.echo("Why is root needed? Only these tasks require the root user:", err=True)
    for number, task in enumerate(ROOT_TASKS, 1):
        click.echo(f"  {number}. {task}", err=True)
    answer = click.prompt("Number, or your own words", err=True).strip()
    if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= len(ROOT_TASKS):
        answer = ROOT_TASKS[int(answer) - 1]
        ticket = click.prompt("Ticket or incident reference (Enter for none)", default="", err=True,
                              show_default=False).strip()
        if ticket:
            answer = f"{answer} ({ticket})"
    return check_reason(answer)


def settings(given: Callable[[str], str | None], *, read_config: bool = True, **overrides) -> Settings:
    """The command's settings from its options (``given``: an option's value, None when not given), the
    environment and the configuration (``settings.resolve``); ``overrides`` replace what a command's own
    option says instead (paper restore --into). The lock wait applies to every lock the command takes."""
    import dataclasses

    from ..storage import fsutil, syncfolder
    from ..storage.settings import resolve

    resolved = resolve(given, read_config=read_config)
    resolved = dataclasses.replace(resolved, **overrides) if overrides else resolved
    fsutil.LOCKING["wait"] = resolved.lock_wait
    syncfolder.POLICY["sync_folder"] = resolved.sync_folder
    return resolved


def make_workspace(given: Callable[[str], str | None], *, writer: bool = False, **overrides) -> Workspace:
    """The stores and the journal of a command, from its settings; secrets are asked for only when a store
    is opened. ``writer``: the command changes a store, so each store is read under its lock, held until
    written."""
    from ..workspace import Credentials, Workspace

    chosen = settings(given, **overrides)
    # each secret is read (or asked for) once per command, however many copies it opens
    sources: dict[str, str] = {}
    creds = Credentials(
        vault_password=functools.cache(lambda: secret("vault password", chosen.vault_password_file,
                                                      "--vault-password-file", sources=sources)),
        seeds_passphrase=functools.cache(lambda: secret("seed-store passphrase", chosen.seeds_passphrase_file,
                                                        "--seeds-passphrase-file", sources=sources)),
        seeds_identities=functools.cache(lambda: identities(chosen, sources)),
        sources=sources,
        given=lambda what: _given(chosen, what),
    )
    used = chosen.used()
    if used:  # where the configuration and the journal come from, unless the command line said it
        print(wrapped(used), file=sys.stderr, flush=True)
    ws = Workspace(chosen, creds, writer=writer)
    cfg = chosen.config
    if cfg.notify_command or cfg.notify_topic:  # [notify]: the break-glass notifier (org/notify.py)
        from ..org.notify import Notifier

        ws.notifier = Notifier(cfg.notify_command or None, cfg.notify_topic, cfg.notify_timeout)
    return ws


def _given(chosen: Settings, what: str) -> bool:
    """Can ``what`` be had without asking yet: an identity from a file or shares; a password or passphrase
    from its file, its environment variable, or a terminal to ask on."""
    from ..storage.settings import SECRETS

    if what == "age identity":
        return bool(chosen.seeds_identity or chosen.seeds_shares)
    files = {"vault password": chosen.vault_password_file, "seed-store passphrase": chosen.seeds_passphrase_file}
    return bool(files[what] or os.environ.get(SECRETS[what]) or interactive() or terminal_for_secrets())
