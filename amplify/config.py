"""Where the follow list and the database live: a command-line option, else `AMPLIFY_FEEDS` / `AMPLIFY_DB`,
else `./feeds.yml` and `./amplify.db`."""

import os
from pathlib import Path


def feeds_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    return Path(explicit or os.environ.get("AMPLIFY_FEEDS") or "feeds.yml")


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    return Path(explicit or os.environ.get("AMPLIFY_DB") or "amplify.db")
