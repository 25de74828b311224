"""The `amplify` command: a thin click layer over the core. Every command has --help text (a test checks).

`base` holds the group and the options its commands share; each other module adds one family of commands, and is
imported only when one of its commands runs (`base.COMMAND_MODULES` says which module adds which). The modules
import only click at load time, so `amplify refresh` starts without the app's heavier modules, or the other
commands'.
"""

from amplify.cli.base import cli

__all__ = ["cli"]
