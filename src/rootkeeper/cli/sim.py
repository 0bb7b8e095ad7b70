"""The ``sim`` command group: a simulated organization kept running, and its console's steps."""

from __future__ import annotations

import click

from . import inputs
from .common import CONTEXT, common, note

ENDPOINT = click.option("--endpoint", metavar="URL", help="The simulator's URL [default: $AWS_ENDPOINT_URL, as "
                                                          "'sim serve' printed it].")


def console_step(name: str):
    """A ``sim console`` command: NAME ACCOUNT_ID [the command's own parameters] [--endpoint URL]."""
    def wrap(func):
        func = click.argument("account_id")(ENDPOINT(func))
        return sim_console.command(name=name, context_settings=CONTEXT)(common(func))
    return wrap


@click.group(context_settings=CONTEXT)
@common
def sim():
    """A simulated AWS Organization to try the commands against (no AWS account), and its console.

    \b
    Examples:
      rootkeeper sim serve --accounts 6
      rootkeeper sim console assign-mfa 111122223333 --device-name rootkeeper-2026-12-02
    """


@sim.command(name="serve", context_settings=CONTEXT)
@common
@click.option("--accounts", "count", type=click.IntRange(1, 1000), default=6, show_default=True,
              help="Member accounts, of every kind the demo has (to enroll, rootless, root access keys, a stray "
                   "password).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="The local port (0: any free one).")
def sim_serve(count, port):
    """Run a simulated organization on 127.0.0.1 until Ctrl-C (or SIGTERM).

    It is moto's server, extended with root users, centralized root access and a
    console; every answer is checked against botocore's models. The first lines on
    stdout are shell exports: paste them (or eval them) in another terminal, and
    every org command talks to it. Its console's steps, which AWS offers in no API,
    are 'rootkeeper sim console ...'. Nothing is kept when it stops.

    \b
    Example:
      rootkeeper sim serve --accounts 6
      # in another terminal, the exports it printed, then:
      rootkeeper org accounts
      rootkeeper org enable-central-root
      rootkeeper org audit
    """
    import signal
    import threading

    from ..errors import InputError
    from ..sim import missing

    if missing():
        raise InputError(f"the simulator needs {', '.join(missing())}: pip install 'rootkeeper[sim]'")
    from ..sim.demo import KINDS_EXPLAINED, populate
    from ..sim.org import SimOrg

    org = SimOrg()
    url, server = org.serve(port)
    management, members = populate(org, count)
    click.echo(f"export AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=AKIASIMMANAGEMENT AWS_SECRET_ACCESS_KEY=simulated "
               "AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null", nl=True)
    click.echo("", nl=True)
    note(f"a simulated organization on {url}: the management account {management} and {len(members)} members:")
    for account_id, name, kind, ou in members:
        explained = "to enroll (through the console below)" if kind == "enroll" else KINDS_EXPLAINED[kind]
        note(f"  {account_id}  {name:<18} /Root/{ou:<16} {explained}")
    note("its console: 'rootkeeper sim console --help'; stop with Ctrl-C")
    import sys

    sys.stdout.flush()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    server.shutdown()
    note("stopped: the simulated organization is gone")


@sim.group(name="console", context_settings=CONTEXT)
@common
def sim_console():
    """The simulated console's steps: what AWS lets a root user do only in its console.

    Secrets go on stdin, never as arguments. The ceremony with them:

    \b
      rootkeeper enroll ID --name NAME --step password
      rootkeeper password ID --reason enrollment --show | rootkeeper sim console set-password ID
      rootkeeper sim console assign-mfa ID --device-name rootkeeper-2026-12-02 > secret.txt
      rootkeeper enroll ID --step mfa --seed-file secret.txt --device-name rootkeeper-2026-12-02 > codes.txt
      rootkeeper sim console enable-mfa ID --serial arn:aws:iam::ID:mfa/rootkeeper-2026-12-02 < codes.txt
      rootkeeper seeds prove ID --signed-in
    """


@console_step("set-password")
def console_set_password(account_id, endpoint):
    """Set ACCOUNT_ID's root password ('Forgot password?', then the new one), read from stdin.

    \b
    Example:
      rootkeeper password 111122223333 --reason enrollment --show | rootkeeper sim console set-password 111122223333
    """
    from ..sim.console import step

    text, _source = inputs.read_input_file("-", "password", limit=4096)
    step(endpoint, "set-password", account=account_id, password=text.splitlines()[0] if text else "")
    note(f"the root password of {account_id} is set")


@console_step("assign-mfa")
@click.option("--device-name", required=True, metavar="NAME", help="What you type as the console's 'Device name'.")
def console_assign_mfa(account_id, device_name, endpoint):
    """'Assign MFA device', 'Authenticator app', 'Show secret key': the secret key on stdout, the device on stderr.

    \b
    Example:
      rootkeeper sim console assign-mfa 111122223333 --device-name rootkeeper-2026-12-02 > secret.txt
    """
    from ..sim.console import step

    shown = step(endpoint, "assign-mfa", account=account_id, name=device_name)
    click.echo(shown["secret"])
    note(f"device {shown['serial']}: give the secret key to 'rootkeeper enroll {account_id} --step mfa --seed-file', "
         "then the two codes it prints to 'sim console enable-mfa'")


@console_step("enable-mfa")
@click.option("--serial", required=True, metavar="ARN", help="The device 'assign-mfa' named.")
def console_enable_mfa(account_id, serial, endpoint):
    """Type the two consecutive codes (stdin, one a line, as 'enroll' prints them) and 'Add MFA'.

    \b
    Example:
      rootkeeper sim console enable-mfa 111122223333 --serial arn:aws:iam::111122223333:mfa/rootkeeper-2026-12-02 < codes.txt
    """
    from ..errors import InputError
    from ..sim.console import step

    text, _source = inputs.read_input_file("-", "codes", limit=4096)
    codes = text.split()
    if len(codes) < 2:
        raise InputError("give the two codes on stdin, one a line (as 'rootkeeper enroll' prints them)")
    step(endpoint, "enable-mfa", account=account_id, serial=serial, code1=codes[0], code2=codes[1])
    note(f"the console accepted both codes: {serial} is the root MFA device of {account_id}")


@console_step("sign-in")
def console_sign_in(account_id, endpoint):
    """Sign in as root: the password on stdin's first line, the MFA code on its second. Exit 1 if refused.

    \b
    Example:
      (rootkeeper password ID --reason drill --show; rootkeeper code ID --reason drill) | rootkeeper sim console sign-in ID
    """
    from ..errors import CheckFailed
    from ..sim.console import step

    text, _source = inputs.read_input_file("-", "password and code", limit=4096)
    lines = text.splitlines()
    answer = step(endpoint, "sign-in", account=account_id, password=lines[0] if lines else "",
                  code=lines[1].strip() if len(lines) > 1 else None)
    if not answer.get("signed_in"):
        raise CheckFailed(f"the console refused the sign-in as root of {account_id}")
    note(f"signed in as root of {account_id}")


@console_step("plant")
@click.argument("what", type=click.Choice(["access-key", "certificate", "mfa"]), metavar="WHAT")
def console_plant(account_id, what, endpoint):
    """Plant WHAT someone else made: access-key, certificate, or mfa (a root MFA device not ours).

    \b
    Example:
      rootkeeper sim console plant 111122223333 access-key
    """
    from ..sim.console import step

    planted = step(endpoint, "plant", account=account_id, what=what)
    note(f"planted {what} {planted['planted']} in {account_id}")
