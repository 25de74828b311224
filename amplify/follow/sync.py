"""The follow list and the store: the one part of `amplify.follow` that touches the database.

The file is the truth for *whom* the user follows; the database is the truth for *what happened*. A refresh brings
the store's sources in step with the file; forgetting a source changes both.
"""

import os
from pathlib import Path

from amplify.follow.errors import SourceEditError, UnknownSource
from amplify.follow.load import parse_follow_list, text_digest
from amplify.names import name_key
from amplify.store import Store
from amplify.types import Problem

# Editing feeds.yml (ruamel.yaml, about 0.02 s to import) is loaded only by `forget_source`: a refresh syncs through
# the fast reader, or not at all when the file has not changed, and must not pay for the round trip at every start.
_FORGOTTEN_NAME = "forgotten source {}"


def sync_follow_list(store: Store, text: str, *, file_name: str = "feeds.yml") -> tuple[Problem, ...]:
    """Bring the store's sources in step with this feeds.yml text and return its problems. The text is parsed only
    when it differs from the one the store synced last: an unchanged file of 1,000 sources costs a hash, not the
    0.3 s of reading YAML, at every refresh from cron. Raises FollowListError when the text is unusable."""
    problems = store.synced_problems(text_digest(text, file_name))
    if problems is not None:
        return problems
    follow_list = parse_follow_list(text, file_name=file_name)
    store.sync_sources(follow_list)
    return follow_list.problems


def forget_source(
    path: str | os.PathLike[str], store: Store, name: str, *, redact_shares: bool = False
) -> str:
    """Forget who a source is: drop its identity labels, handles and notes, and rename it
    "forgotten source N", in feeds.yml and in the database. The share log is untouched (it holds source ids,
    never identity); with `redact_shares`, a redaction is appended for each of the source's shares, and every
    display and export shows their words as redacted.

    `name` matches the way feeds.yml matches names (any case or spacing, see `amplify.names`), in the file and
    in the database alike, and every database row by that name is forgotten. Works for a source that is only in
    the database (unfollowed earlier) too. Returns the new name.
    """
    from ruamel.yaml.comments import CommentedMap

    from amplify.follow.edit import find_entry, names_in, read_document, set_or_drop, write_document

    if store.write_refusal is not None:  # before feeds.yml changes: both forget, or neither does
        raise SourceEditError(store.write_refusal)
    target = Path(path)
    # Without a follow list there is nothing to edit in it: the source may still be in the database.
    document = read_document(target) if target.exists() else CommentedMap()
    in_file = find_entry(document, name, target.name, required=False)
    rows = store.source_ids_named(name)
    if in_file is None and not rows:
        raise UnknownSource(f"no source named {name!r} in {target.name} or in the database")
    taken = names_in(document)
    new_names: list[str] = []
    number = store.forgotten_source_count()
    while len(new_names) < max(len(rows), 1):
        number += 1
        candidate = _FORGOTTEN_NAME.format(number)
        if name_key(candidate) not in taken and not store.source_ids_named(candidate):
            new_names.append(candidate)
    # The database first and feeds.yml last, in one transaction: a database that cannot be written (read-only, a
    # full disk) leaves the file as it was, and a file that cannot be written rolls the database back.
    with store.transaction():
        for source_id, new_name in zip(rows, new_names, strict=False):
            store.forget_source(source_id, new_name, redact_shares=redact_shares)
        if in_file is not None:
            for key in ("identity", "handles", "notes"):
                set_or_drop(in_file, key, None)
            in_file["name"] = new_names[0]
            write_document(target, document)
    return new_names[0]

