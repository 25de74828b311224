"""The `amplify` command: a thin click layer over the core. Every command has --help text (a test checks).

`base` holds the group and the options its commands share; each other module adds one family of commands. They
import only click at load time, so `amplify refresh` starts without the app's heavier modules.
"""

import amplify.cli.reach  # noqa: F401 (registers `amplify reach`)
from amplify.cli import follow, records, refresh, serve  # noqa: F401 (each registers its commands)
from amplify.cli.base import cli

__all__ = ["cli"]
