"""Reading feeds.yml: its text, a digest naming that text, and the follow list it describes.

Reading goes through libyaml (PyYAML's C parser); `amplify.follow.edit` reads with ruamel's round-trip parser
instead, when the file is to be written back with its comments. Raises FollowListError only when the file as a
whole cannot be used; a bad entry is a `Problem` (amplify.follow.validate).
"""

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amplify import __version__
from amplify.follow.errors import FollowListError

if TYPE_CHECKING:
    import yaml

    from amplify.types import FollowList

# `amplify.follow.validate` (with the networks, URLs and time zones it checks against) is imported by the functions
# that parse: a refresh whose feeds.yml has not changed only reads the text and names it by its digest.


def load_follow_list(path: str | os.PathLike[str]) -> "FollowList":
    """Read feeds.yml: every valid entry, plus a Problem for each bad one (which is skipped).

    Raises FollowListError only when the file as a whole cannot be used.
    """
    return parse_follow_list(read_text(Path(path)), file_name=Path(path).name)


def parse_follow_list(text: str, *, file_name: str = "feeds.yml") -> "FollowList":
    """Like `load_follow_list`, from text already in memory."""
    from amplify.follow.validate import follow_list_from_document

    follow_list = follow_list_from_document(_parse_fast(text, file_name), file_name=file_name)
    return replace(follow_list, digest=text_digest(text, file_name))


def read_follow_list_text(path: str | os.PathLike[str]) -> str:
    """The text of feeds.yml. Raises FollowListError, saying what to do, when it cannot be read."""
    return read_text(Path(path))


def text_digest(text: str, file_name: str = "feeds.yml") -> str:
    """Names one feeds.yml text as this version of amplify reads it (the name is in its problems' messages)."""
    return hashlib.sha256(f"{__version__}\n{file_name}\n{text}".encode()).hexdigest()


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise FollowListError(
            f"{path}: no follow list here. Create it (see docs/feeds-yml.md) or point to one with --feeds "
            "or AMPLIFY_FEEDS"
        ) from error
    except UnicodeDecodeError as error:
        raise FollowListError(f"{path}: not UTF-8 text; save it as UTF-8 and try again") from error
    except OSError as error:
        raise FollowListError(f"{path}: cannot read the follow list ({error.strerror or error})") from error


def not_yaml(error: Exception, file_name: str) -> FollowListError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f" line {mark.line + 1}" if mark is not None else ""
    reason = getattr(error, "problem", None) or getattr(error, "context", None) or str(error)
    return FollowListError(f"{file_name}{where}: not valid YAML ({reason}); fix that and try again")


def check_shape(document: Any, file_name: str) -> Any:
    if not isinstance(document, Mapping):
        raise FollowListError(
            f"{file_name}: expected a mapping with a `sources:` list at the top (see docs/feeds-yml.md)"
        )
    entries = document.get("sources")
    if entries is not None and not isinstance(entries, list):
        from amplify.follow.validate import key_line

        raise FollowListError(
            f"{file_name} line {key_line(document, 'sources')}: `sources` must be a list of entries, "
            "each starting with `- name: ...`"
        )
    return document


# libyaml (PyYAML's C parser) reads about five times faster, in CPU time, than ruamel's pure-Python round-trip
# parser: 1,000 sources in 0.15 s instead of 0.8 s (docs/benchmarks.md). A refresh skips an unchanged file by its
# digest (amplify.follow.sync); this path serves the reads that remain: the pages after the file changed, the CLI,
# a refresh after an edit. libyaml only composes the node tree (with line numbers); the values are built here with
# the YAML 1.2 core schema, as ruamel reads them, so `no`, `on` or `yes` stay words (YAML 1.1 made them booleans).

_YAML_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_YAML_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML_INT = re.compile(r"^[-+]?[0-9]+$")
_YAML_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


class LinedMap(dict[Any, Any]):
    """A mapping that remembers the line of each key, and keys that appeared twice (amplify.follow.validate reads
    `key_lines` and `repeated`)."""

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.repeated: list[tuple[Any, int]] = []


class LinedList(list[Any]):
    """A list that remembers the line of each item (`item_lines`)."""

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []


def _parse_fast(text: str, file_name: str) -> Any:
    import yaml  # here: a refresh of an unchanged follow list never reads YAML

    # libyaml's parser with no implicit typing (`_scalar` types the values); pure Python when libyaml is missing.
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        raise not_yaml(error, file_name) from error
    finally:
        loader.dispose()
    if node is None:
        return check_shape(None, file_name)
    try:
        return check_shape(_build(node, set(), {}), file_name)
    except RecursionError as error:
        raise FollowListError(
            f"{file_name}: an alias refers to itself or nests too deep; remove it"
        ) from error


def _build(node: "yaml.Node", open_nodes: set[int], built: dict[int, Any]) -> Any:
    """Values from nodes. An alias is the same node again: it is built once and shared, as YAML means it, so
    aliases of aliases cannot multiply into an enormous structure."""
    if id(node) in built:
        return built[id(node)]
    if id(node) in open_nodes:
        raise RecursionError(f"line {node.start_mark.line + 1}")
    import yaml

    if isinstance(node, yaml.ScalarNode):
        value = built[id(node)] = _scalar(node)
        return value
    open_nodes.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        items = LinedList()
        for child in node.value:
            items.append(_build(child, open_nodes, built))
            items.item_lines.append(child.start_mark.line + 1)
        result: Any = items
    else:
        mapping = LinedMap()
        for key_node, value_node in node.value:
            key = _build(key_node, open_nodes, built)
            key = key if isinstance(key, str | int | float | bool) or key is None else str(key)
            if key in mapping:
                mapping.repeated.append((key, key_node.start_mark.line + 1))
                continue
            mapping[key] = _build(value_node, open_nodes, built)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        result = mapping
    open_nodes.discard(id(node))
    built[id(node)] = result
    return result


def _scalar(node: "yaml.ScalarNode") -> Any:
    text = node.value
    if node.style:  # quoted or block: always text
        return text
    if _YAML_NULL.match(text):
        return None
    if _YAML_BOOL.match(text):
        return text.lower() == "true"
    if _YAML_INT.match(text) and len(text) < 100:  # a longer number is no setting amplify has
        return int(text)
    if _YAML_FLOAT.match(text):
        return float(text)
    return text

