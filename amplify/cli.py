"""The `amplify` command: a thin click layer over the core. Every command has --help text (a test checks)."""

import click

from amplify import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amplify")
def cli() -> None:
    """Amplify creators and businesses owned by underrepresented people.

    Gather what they publish, review it daily, draft posts that credit and center them, verify before sharing,
    and keep an honest record of whose voices you amplify.
    """
