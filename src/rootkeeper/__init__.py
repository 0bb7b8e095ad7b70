"""rootkeeper: keep the root users of every account in an AWS Organization recoverable and safe.

The core library has no command-line code; see ``rootkeeper.cli`` for that.
"""

__version__ = "0.1.0"
