"""The process ends as Python ends it: exit handlers run, the exit code is the command's."""

from __future__ import annotations


def test_the_process_exits_normally_so_exit_handlers_run(tmp_path):
    """No os._exit: a dependency's atexit handler runs after a command, and the exit code is the command's."""
    import subprocess
    import sys

    program = ("import atexit, sys; atexit.register(lambda: print('handler ran', file=sys.stderr)); "
               "from rootkeeper.cli import main; sys.argv = ['rootkeeper'] + sys.argv[1:]; main()")
    for args, code in ((["--version"], 0), (["code", "nosuch", "--reason", "r", "--vault", str(tmp_path / "no.kdbx"),
                                             "--seeds", str(tmp_path / "no.age")], 2)):
        done = subprocess.run([sys.executable, "-c", program, *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == code and done.stderr.rstrip().endswith("handler ran"), done.stderr
