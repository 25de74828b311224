"""What `amplify` loads to start. Each command's module is imported only when that command runs, so a warm
`amplify refresh` (feeds.yml unchanged, every feed answering 304) loads none of the other commands, nor the checks
and editing of feeds.yml, nor the time zones. Each run is a fresh process, as cron starts it."""

import json
import subprocess
import sys
from pathlib import Path

import click

from amplify.cli import cli
from amplify.cli.base import COMMAND_MODULES

# Loaded by other commands, or only when feeds.yml changed (validating it, editing it, its time zone and schedule).
NOT_FOR_A_WARM_REFRESH = (
    "amplify.cli.accounts", "amplify.cli.follow", "amplify.cli.posting", "amplify.cli.reach", "amplify.cli.records",
    "amplify.cli.serve", "amplify.follow.validate", "amplify.follow.edit", "amplify.networks", "amplify.slots",
    "zoneinfo", "ruamel.yaml", "yaml",
)

CHANNEL = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Ada's Bakery</title><link>https://ada.example/</link>
<item><title>Rye</title><link>https://ada.example/rye</link><guid>rye</guid></item>
</channel></rss>
"""


def _refresh_in_a_fresh_process(feeds_file: Path, db_file: Path) -> tuple[str, list[str]]:
    """`amplify refresh --json` in a new interpreter: its output, and which of the modules to watch it loaded."""
    script = (
        "import json, sys\n"
        "from amplify.cli import cli\n"
        "try:\n"
        f"    cli(['refresh', '--feeds', {str(feeds_file)!r}, '--db', {str(db_file)!r}, '--json'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"watched = {(*NOT_FOR_A_WARM_REFRESH, 'amplify.cli.refresh')!r}\n"
        "print(json.dumps(sorted(name for name in watched if name in sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    report, loaded = run.stdout.strip().splitlines()
    return report, json.loads(loaded)


def test_a_warm_refresh_loads_no_other_command_and_no_follow_list_checks(server, tmp_path):
    server.route("/bread.xml", CHANNEL, headers={"ETag": '"v1"'})
    feeds_file = tmp_path / "feeds.yml"
    feeds_file.write_text(f"sources:\n  - name: Ada\n    feed: {server.url('/bread.xml')}\n"
                          "settings:\n  allow_private_addresses: true\n", encoding="utf-8")

    first, loaded_first = _refresh_in_a_fresh_process(feeds_file, tmp_path / "amplify.db")
    warm, loaded_warm = _refresh_in_a_fresh_process(feeds_file, tmp_path / "amplify.db")

    assert '"fetched": 1' in first and '"not_modified": 1' in warm
    # The first refresh reads feeds.yml for the first time, so it checks it; the warm one knows the text already.
    assert "amplify.follow.validate" in loaded_first
    assert loaded_warm == ["amplify.cli.refresh"]


def test_a_time_zone_is_loaded_only_for_a_follow_list_that_names_one(tmp_path):
    feeds_file = tmp_path / "feeds.yml"
    script = (
        "import sys\n"
        "from amplify.follow.load import load_follow_list\n"
        f"settings = load_follow_list({str(feeds_file)!r}).settings\n"
        "print(settings.timezone, 'zoneinfo' in sys.modules)\n"
    )
    shown = []
    for settings in ("", "settings:\n  timezone: Europe/Berlin\n"):
        feeds_file.write_text(f"sources: []\n{settings}", encoding="utf-8")
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        shown.append(run.stdout.strip())

    assert shown == ["UTC False", "Europe/Berlin True"]


def test_every_command_module_is_listed_with_the_commands_it_adds():
    context = click.Context(cli)
    added_by = {name: cli.get_command(context, name).callback.__module__ for name in cli.list_commands(context)}
    modules = {path.stem for path in (Path(__file__).parent.parent / "amplify" / "cli").glob("*.py")}

    assert added_by == {name: f"amplify.cli.{module}" for name, module in COMMAND_MODULES.items()}
    assert modules - {"__init__", "base"} == set(COMMAND_MODULES.values())


def test_the_help_lists_every_command_with_its_short_help():
    run = subprocess.run([sys.executable, "-m", "amplify", "--help"], capture_output=True, text=True, check=True)
    listed = run.stdout.split("Commands:\n")[1].splitlines()

    assert [line.split()[0] for line in listed] == sorted(COMMAND_MODULES)
    assert all(len(line.split()) > 2 for line in listed), run.stdout  # a name, then words saying what it does
