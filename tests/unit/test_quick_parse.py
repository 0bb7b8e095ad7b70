"""cli/quick.py reads plain ``code`` command lines without click: it must read them exactly as click does,
and leave everything else to click (issue 13: break glass without importing click). TOTP codes are
checked against RFC 6238 Appendix B here too, in process (oathtool checks them through the CLI)."""

from __future__ import annotations

import base64
import warnings

import pytest
from test_totp import KEYS, VECTORS  # RFC 6238 Appendix B, as the CLI test uses them

from rootkeeper.cli import build, quick
from rootkeeper.rules import totp

PLAIN = [
    ["code", "prod", "--reason", "close it (CHG-1)"],
    ["code", "--reason=why", "123456789012"],
    ["--vault", "v.kdbx", "code", "prod", "--reason", "r", "--seeds-identity", "-"],
    ["code", "prod", "--reason", "r", "--at", "2026-11-28T12:00:00Z", "--debug", "--journal", "j.jsonl"],
    ["--config", "x.toml", "--seeds", "s.age", "--seeds-passphrase-file", "pp", "code", "--at=59", "p", "--reason", "-"],
]
NOT_PLAIN = [
    ["code", "prod"],  # no reason: a terminal prompts for it (click's path)
    ["code", "prod", "--reason", "r", "--fresh", "10"],
    ["code", "prod", "--reason", "r", "-h"],
    ["code", "--help"],
    ["code", "prod", "--reason", "--at"],  # a value that looks like an option
    ["code", "prod", "--reason", "a", "--reason", "b"],
    ["code", "prod", "other", "--reason", "r"],
    ["code", "prod", "--reason", "r", "--"],
    ["code", "prod", "--reason", "r", "--unknown", "x"],
    ["password", "prod", "--reason", "r", "--show"],
    ["--version"],
    [],
    ["--reason", "r", "code", "prod"],  # the code command's options before its name: click refuses them
    ["--at", "59", "code", "prod", "--reason", "r"],
]


def clicks_reading(args: list[str]) -> dict:
    cli = build()
    with cli.make_context("rootkeeper", list(args)) as ctx, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # click 8.2 renames protected_args; 8.1 needs it
        name, command, rest = cli.resolve_command(ctx, ctx.protected_args + ctx.args)
        with command.make_context(name, rest, parent=ctx) as sub:
            values = {key[3:]: value for key, value in sub.meta.items() if key.startswith("rk.")}
            values.update({k: v for k, v in sub.params.items() if v is not None and k != "fresh"})
            assert sub.params["fresh"] == 0
            return values


@pytest.mark.parametrize("args", PLAIN, ids=lambda a: " ".join(a))
def test_plain_code_lines_are_read_as_click_reads_them(args):
    assert quick.parse(args) == clicks_reading(args)


@pytest.mark.parametrize("args", NOT_PLAIN, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_goes_to_click(args):
    assert quick.parse(args) is None


@pytest.mark.parametrize(("when", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_appendix_b(when, sha1, sha256, sha512):
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        seed = base64.b32encode(KEYS[algorithm]).decode().rstrip("=")
        assert totp.code(seed, when, digits=8, algorithm=algorithm) == expected


@pytest.mark.parametrize("args", [["--reason", "r", "code", "prod"], ["--at", "59", "code", "prod", "--reason", "r"]])
def test_options_of_code_before_its_name_are_refused_by_click_so_never_read_by_the_quick_path(args):
    import click

    with pytest.raises(click.UsageError):
        clicks_reading(args)
    assert quick.parse(args) is None


def test_a_reason_that_reads_debug_does_not_turn_on_tracebacks(tmp_path):
    """``--reason --debug``: click takes "--debug" as the reason; the error stays one line, no traceback."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "rootkeeper", "code", "nosuch", "--reason", "--debug",
                           "--vault", str(tmp_path / "none.kdbx"), "--seeds", str(tmp_path / "none.age")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("error:") == 1


def test_the_quick_option_table_is_the_click_commands_own():
    """quick.py's table of options is click's ``code`` command's, option for option (``--fresh`` alone is
    left to click, which waits for the next code): a new option of ``code`` or of every command fails here
    until quick knows it, so the two parsers cannot drift apart."""
    import click

    cli = build()
    with cli.make_context("rootkeeper", ["code", "x"]) as ctx:
        code = cli.get_command(ctx, "code")
    options = [p for p in code.params if isinstance(p, click.Option)]
    left_to_click = {"--fresh"}
    values = {o: p.name for p in options if not p.is_flag for o in p.opts if o not in left_to_click}
    flags = {o: p.name for p in options if p.is_flag for o in p.opts}
    own = {o for p in options if p.expose_value for o in p.opts} - left_to_click
    assert (quick.VALUE_OPTIONS, quick.FLAGS, quick.CODE_OPTIONS) == (values, flags, own)
    assert all(o.startswith("--") for p in options for o in p.opts + p.secondary_opts)  # quick reads long options
