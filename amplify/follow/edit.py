"""Writing feeds.yml: adding, editing and removing sources and changing settings, keeping the user's comments and
order. ruamel.yaml round-trips the document, and every write is validated first and lands atomically.
"""

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import replace
from io import StringIO
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import CommentToken

from amplify.follow.errors import DuplicateSource, FollowListError, SourceEditError, UnknownSource
from amplify.follow.load import check_shape, not_yaml, read_text
from amplify.follow.validate import (
    SETTING_FIELDS,
    SOURCE_FIELDS,
    follow_list_from_document,
    plain,
    read_entry,
    read_settings,
    scalar_text,
)
from amplify.names import name_key
from amplify.types import Problem, Settings, Source

EDITABLE_FIELDS = (
    "url",
    "kind",
    "handles",
    "tags",
    "identity_labels",
    "identity_source",
    "credit",
    "domains",
    "notes",
)
# Values a source has when its entry does not say: an edit to them does not add the field.
_IMPLIED = {"kind": "creator", "credit": "tag"}


def read_document(path: Path) -> CommentedMap:
    """The file as ruamel's round-trip document, for editing: comments and order come along."""
    return parse_document(read_text(path), str(path))


def parse_document(text: str, file_name: str) -> CommentedMap:
    """feeds.yml text as ruamel's round-trip document. Raises FollowListError when it is not usable as a whole."""
    try:
        document = _yaml().load(text)
    except (MarkedYAMLError, YAMLError) as error:
        raise not_yaml(error, file_name) from error
    return check_shape(document, file_name)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap the user's long lines
    return yaml


def add_source(path: str | os.PathLike[str], source: Source) -> Source:
    """Append `source` to feeds.yml (created if missing), keeping everything else as it was.

    Returns the source as it will load (handles normalized). Raises DuplicateSource when the name or a feed is
    already listed, SourceEditError when the source is not valid.
    """
    added, refused = add_sources(path, [source])
    if refused:
        raise refused[0][1]
    return added[0]


def add_sources(
    path: str | os.PathLike[str], sources: Iterable[Source]
) -> tuple[list[Source], list[tuple[Source, SourceEditError]]]:
    """Append every source that is valid and not listed yet (by name or feed), in one write.

    Returns the sources added (as they will load) and the ones refused, each with its reason.
    """
    target = Path(path)
    document = read_document(target) if target.exists() else CommentedMap(sources=CommentedSeq())
    names = names_in(document)
    owners = {
        feed: known.name
        for known in follow_list_from_document(document, file_name=target.name).sources
        for feed in known.feeds
    }
    added: list[Source] = []
    refused: list[tuple[Source, SourceEditError]] = []
    for source in sources:
        try:
            checked = _check_entry(source_entry(source), target.name)
            _refuse_duplicate(checked, names, owners, target.name)
        except SourceEditError as error:
            refused.append((source, error))
            continue
        if document.get("sources") is None:
            document["sources"] = CommentedSeq()
        document["sources"].append(source_entry(checked))  # as it loads: handles in their stored shape
        names.add(name_key(checked.name))
        owners.update((feed, checked.name) for feed in checked.feeds)
        added.append(replace(checked, line=None))
    if added:
        write_document(target, document)
    return added, refused


def _refuse_duplicate(source: Source, names: set[str], owners: Mapping[str, str], file_name: str) -> None:
    # The feed first: when it is already followed, another name would not help.
    for feed in source.feeds:
        if feed in owners:
            raise DuplicateSource(f"{feed} is already followed as {owners[feed]!r}")
    if name_key(source.name) in names:
        raise DuplicateSource(f"{file_name} already has a source named {source.name!r}; choose another name")


def update_source(path: str | os.PathLike[str], name: str, /, **changes: Any) -> Source:
    """Change fields of the source called `name`: url, kind, handles, tags, identity_labels, identity_source,
    credit, domains, notes. A value of None or empty removes the field. Comments and order are kept."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise SourceEditError(f"cannot change `{unknown[0]}`; editable fields: {', '.join(EDITABLE_FIELDS)}")
    target = Path(path)
    document = read_document(target)
    entry = find_entry(document, name, target.name)
    if "identity_labels" in changes or "identity_source" in changes:
        identity = (
            entry.get("identity") if isinstance(entry.get("identity"), CommentedMap) else CommentedMap()
        )
        for key, field_name in (("labels", "identity_labels"), ("source", "identity_source")):
            if field_name in changes:
                set_or_drop(identity, key, _yaml_value(key, changes[field_name]), ("labels", "source"))
        set_or_drop(entry, "identity", identity)
    for key in ("url", "kind", "handles", "tags", "credit", "domains", "notes"):
        if key in changes and not (key not in entry and changes[key] == _IMPLIED.get(key)):
            set_or_drop(entry, key, _yaml_value(key, changes[key]))
    updated = _check_entry(entry, target.name)
    if updated.handles:
        set_or_drop(entry, "handles", _yaml_value("handles", updated.handles))
    write_document(target, document)
    return updated


def remove_source(path: str | os.PathLike[str], name: str) -> None:
    """Unfollow: take the source out of feeds.yml. Its items, drafts and shares stay in the database."""
    target = Path(path)
    document = read_document(target)
    entry = find_entry(document, name, target.name)
    entries = document["sources"]
    index = next(index for index, item in enumerate(entries) if item is entry)
    following = _take_trailing_comments(entry)
    entries.pop(index)
    if index > 0:
        _give_trailing_comments(entries[index - 1], following)
    write_document(target, document)


def set_setting(path: str | os.PathLike[str], key: str, value: Any) -> Settings:
    """Set one of `settings:` (networks, mastodon_instance, goals); None removes it so the default applies."""
    if key not in SETTING_FIELDS:
        raise SourceEditError(f"unknown setting `{key}` (settings are: {', '.join(SETTING_FIELDS)})")
    target = Path(path)
    document = read_document(target)
    settings = document.get("settings")
    if not isinstance(settings, CommentedMap):
        settings = CommentedMap()
        document.insert(0, "settings", settings)
    set_or_drop(settings, key, _yaml_value(key, value), SETTING_FIELDS)
    problems: list[Problem] = []
    checked = read_settings(document, target.name, problems)
    if problems:
        raise SourceEditError("; ".join(problem.message for problem in problems))
    write_document(target, document)
    return checked


def source_entry(source: Source) -> CommentedMap:
    """The feeds.yml entry for `source`: only the fields that say something, in the documented order."""
    entry = CommentedMap()
    entry["name"] = source.name
    if len(source.feeds) == 1:
        entry["feed"] = source.feeds[0]
    else:
        entry["feeds"] = _yaml_value("feeds", list(source.feeds))
    if source.url:
        entry["url"] = source.url
    if source.kind != "creator":
        entry["kind"] = source.kind
    for key, value in (("handles", source.handles), ("tags", list(source.tags))):
        if value:
            entry[key] = _yaml_value(key, value)
    if source.identity_labels or source.identity_source:
        identity = CommentedMap()
        set_or_drop(identity, "labels", _yaml_value("labels", list(source.identity_labels)))
        set_or_drop(identity, "source", source.identity_source)
        entry["identity"] = identity
    if source.credit != "tag":
        entry["credit"] = source.credit
    if source.domains:
        entry["domains"] = _yaml_value("domains", list(source.domains))
    if source.notes:
        entry["notes"] = source.notes
    return entry


def _yaml_value(key: str, value: Any) -> Any:
    """Lists and mappings in flow style (`tags: [food, local]`), as the documented examples show them."""
    if isinstance(value, Mapping):
        flow: Any = CommentedMap(value)
    elif isinstance(value, list | tuple):
        flow = CommentedSeq(value)
    else:
        return value
    if key != "feeds":
        flow.fa.set_flow_style()
    return flow


def set_or_drop(mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...] = SOURCE_FIELDS) -> None:
    """Set `key`, or remove it when the value is empty. A new key goes where `order` puts it, so an edited
    entry reads like a hand-written one. Comment lines below the mapping stay below it."""
    empty = (
        value is None
        or value == ""
        or (isinstance(value, Iterable) and not isinstance(value, str) and not value)
    )
    if empty and key not in mapping:
        return
    if key in mapping and not empty:
        current = mapping[key]
        if plain(current) == plain(value):
            return  # unchanged: keep how the user wrote it
        if isinstance(current, CommentedMap) and isinstance(value, Mapping):
            for old_key in [old_key for old_key in current if old_key not in value]:
                del current[old_key]
            current.update(value)  # in place, so the mapping keeps its style and comments
        else:
            mapping[key] = value
        return
    following = _take_trailing_comments(mapping)
    if empty:
        mapping.pop(key)
    elif key in order:
        earlier = set(order[: order.index(key)])
        position = max(
            (index + 1 for index, existing in enumerate(mapping) if existing in earlier), default=0
        )
        mapping.insert(position, key, value)
    else:
        mapping[key] = value
    _give_trailing_comments(mapping, following)


# ruamel hangs the comment lines that follow a block (up to the next key or entry) on the block's deepest last
# key. When that key is removed, or a key is added after it, the lines must move to the new last key, or a
# comment heading the next entry would vanish or land above the new key.


def _trailing_holder(node: Any) -> tuple[CommentedMap, Any] | None:
    """The mapping and key whose comment token holds the lines after `node`: its deepest last key."""
    holder = None
    while isinstance(node, CommentedMap) and node and not node.fa.flow_style():
        key = next(reversed(node))
        holder = (node, key)
        node = node[key]
    return holder


def _take_trailing_comments(node: Any) -> str:
    """Detach and return the comment lines below `node` (its last line's own comment stays)."""
    holder = _trailing_holder(node)
    if holder is None:
        return ""
    mapping, key = holder
    comments = mapping.ca.items.get(key)
    if not comments or len(comments) < 3 or not isinstance(comments[2], CommentToken):
        return ""
    same_line, newline, following = comments[2].value.partition("\n")
    comments[2] = (
        CommentToken(same_line + newline, comments[2].start_mark, None) if same_line.strip() else None
    )
    return following


def _give_trailing_comments(node: Any, following: str) -> None:
    holder = _trailing_holder(node)
    if not following or holder is None:
        return
    mapping, key = holder
    comments = mapping.ca.items.setdefault(key, [None, None, None, None])
    if isinstance(comments[2], CommentToken):
        comments[2].value = comments[2].value.rstrip("\n") + "\n" + following
    else:
        comments[2] = CommentToken("\n" + following, CommentMark(0), None)


def _entries(document: CommentedMap) -> list[Any]:
    return list(document.get("sources") or [])


def names_in(document: CommentedMap) -> set[str]:
    """The names the file's entries use, as `name_key`s."""
    return {name_key(scalar_text(item.get("name")) or "") for item in _entries(document) if isinstance(item, Mapping)}


def find_entry(
    document: CommentedMap, name: str, file_name: str, *, required: bool = True
) -> CommentedMap | None:
    """The entry whose name matches `name` as feeds.yml matches names; UnknownSource (or None) when none does."""
    wanted = name_key(name)
    for entry in _entries(document):
        if isinstance(entry, CommentedMap) and name_key(scalar_text(entry.get("name")) or "") == wanted:
            return entry
    if required:
        raise UnknownSource(f"no source named {name!r} in {file_name}")
    return None


def _check_entry(entry: CommentedMap, file_name: str) -> Source:
    source, problems = read_entry(entry, None, file_name)
    if source is None:
        raise SourceEditError("; ".join(problem.message for problem in problems))
    return source


def write_document(path: Path, document: CommentedMap) -> None:
    """Write atomically: a reader (the app, a cron refresh) sees the old file or the new one, never half."""
    buffer = StringIO()
    _yaml().dump(document, buffer)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(buffer.getvalue())
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            reason = error.strerror or str(error)
            raise FollowListError(f"{path}: cannot write it ({reason}); nothing changed") from error
        raise
