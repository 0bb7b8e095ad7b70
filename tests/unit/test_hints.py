"""Every option a message names exists (first-hour issue #9, item 5): hints are walked from the source.

Each string in the package that names ``--an-option`` is checked against the real command tree;
a string that names a command (``rootkeeper seeds import ... --replace``) is checked against
that command's own options.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click

from rootkeeper.cli import build

SRC = Path(__file__).resolve().parents[2] / "src" / "rootkeeper"
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMAND = re.compile(r"rootkeeper((?: [a-z][a-z-]*)+)")


def commands() -> dict[str, click.Command]:
    out: dict[str, click.Command] = {}

    def walk(command: click.Command, path: str) -> None:
        out[path] = command
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(build(), "")
    return out


def options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in [*param.opts, *param.secondary_opts] if opt.startswith("--")}


def strings() -> list[tuple[str, int, str]]:
    found = []
    for path in SRC.rglob("*.py"):
        if path.name == "clipboard.py":
            continue  # the arguments of other programs (xsel --clipboard, wl-paste --no-newline)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if OPTION.search(text):
                found.append((str(path.relative_to(SRC)), node.lineno, text))
    return found


def test_every_option_named_in_a_message_exists():
    tree = commands()
    known = set().union(*(options(c) for c in tree.values())) | {"--help", "--version"}
    unknown = [(f, line, opt) for f, line, text in strings() for opt in OPTION.findall(text) if opt not in known]
    assert unknown == []


def test_a_message_that_names_a_command_names_only_its_options():
    tree = commands()
    wrong = []
    for f, line, text in strings():
        for match in COMMAND.finditer(text):
            words = match.group(1).split()
            while words and " ".join(words) not in tree:
                words.pop()
            if not words:
                continue
            command = tree[" ".join(words)]
            tail = text[match.end():].split("rootkeeper ", 1)[0].split("'", 1)[0].split(";", 1)[0]
            ours = options(command) | options(tree[""]) | {"--help"}
            wrong += [(f, line, " ".join(words), opt) for opt in OPTION.findall(tail) if opt not in ours]
    assert wrong == []


def test_seeds_import_names_its_own_replace_option():
    from rootkeeper.stores.seeds import SeedRow, SeedStore

    store = SeedStore("s.age", [], None, passphrase="x" * 20, recipients=[])
    store.add(SeedRow("111122223333", "a", "a@example.com", "A" * 32))
    try:
        store.add(SeedRow("111122223333", "a", "a@example.com", "B" * 32), replace_option="--replace")
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        assert "--replace " in str(exc) and "--replace-seed" not in str(exc)
    else:
        raise AssertionError("a second seed was accepted")


def test_every_option_has_help_and_every_secret_option_names_its_variable():
    """First-hour issue item 11: help text everywhere; a secret's option says where else it can come from."""
    missing, secret_without_env = [], []
    for path, command in commands().items():
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            if not (param.help or "").strip():
                missing.append((path, param.opts))
            if any(o in ("--vault-password-file", "--seeds-passphrase-file", "--seeds-identity", "--vault-key-file")
                   for o in param.opts) and "[env ROOTKEEPER_" not in (param.help or ""):
                secret_without_env.append((path, param.opts))
    assert missing == [] and secret_without_env == []


def test_help_examples_work_on_every_system_they_are_shown_on():
    """/dev/shm exists on Linux only, and lp on Linux and macOS (CUPS), not on Windows: an example that needs one
    says where it works and the help shows the way for the others."""
    linux_only, windows_without = [], []
    for path, command in commands().items():
        text = command.help or ""
        options = " ".join(param.help or "" for param in command.params if isinstance(param, click.Option))
        if "/dev/shm" in text + options:
            linux_only.append(path)
        if "| lp" in text and "Windows" not in text:
            windows_without.append(path)
        if "| lp" in options and "Linux, macOS" not in options:
            windows_without.append(path)
    assert linux_only == [] and windows_without == []
