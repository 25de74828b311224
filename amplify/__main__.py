"""`python -m amplify` is the `amplify` command, for machines where pip's script folder is not on PATH."""

from amplify.cli import cli

cli(prog_name="amplify")
