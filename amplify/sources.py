"""The follow list: `feeds.yml`, its schema, loading with per-entry validation, and round-trip writing.

The file is the truth for *whom* the user follows; the database is the truth for *what happened*. A bad entry
is reported by line and field and skipped; the other sources still load. When amplify writes the file (adding,
editing, removing or forgetting a source, changing a setting) it keeps the user's comments and order:
ruamel.yaml round-trips the document, and every write is validated first and lands atomically.

docs/feeds-yml.md is the reference for the format.
"""

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, MarkedYAMLError, YAMLError
from ruamel.yaml.tokens import CommentToken

from amplify import __version__
from amplify.errors import AmplifyError
from amplify.names import name_key

if TYPE_CHECKING:
    import yaml

    from amplify.store import Store

KINDS = ("creator", "business", "organization")
CREDIT_PREFERENCES = ("tag", "name", "ask")
NETWORKS = ("mastodon", "bluesky", "x", "linkedin", "threads")

SOURCE_FIELDS = (
    "name",
    "feed",
    "feeds",
    "url",
    "kind",
    "handles",
    "tags",
    "identity",
    "credit",
    "domains",
    "notes",
)
SETTING_FIELDS = ("networks", "mastodon_instance", "goals", "allow_private_addresses")
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

_DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{0,62}"
DOMAIN_PATTERN = re.compile(rf"^{_DOMAIN}$")
_MASTODON_HANDLE = re.compile(rf"^@?([A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*)@({_DOMAIN})$")
_X_HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")
_PROFILE_NAME = re.compile(r"^@?([A-Za-z0-9._-]{1,100})$")
_FORGOTTEN_NAME = "forgotten source {}"
# Values a source has when its entry does not say: an edit to them does not add the field.
_IMPLIED = {"kind": "creator", "credit": "tag"}


# -- records


@dataclass(frozen=True)
class Source:
    """One followed creator, business or organization, as feeds.yml describes it."""

    name: str
    feeds: tuple[str, ...]
    url: str | None = None
    kind: str = "creator"
    handles: dict[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    identity_labels: tuple[str, ...] = ()
    identity_source: str | None = None
    credit: str = "tag"
    domains: tuple[str, ...] = ()
    line: int | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Settings:
    """The optional `settings:` block."""

    networks: tuple[str, ...] = ("mastodon", "bluesky")
    mastodon_instance: str = "mastodon.social"
    goals: dict[str, object] = field(default_factory=dict)
    # Fetch from this computer and your own network too (amplify.fetch refuses them otherwise).
    allow_private_addresses: bool = False


@dataclass(frozen=True)
class Problem:
    """One thing wrong with feeds.yml, precise enough to fix: the entry it names is skipped, nothing else."""

    message: str
    line: int | None = None
    field: str | None = None
    file: str = "feeds.yml"

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class FollowList:
    sources: tuple[Source, ...]
    settings: Settings
    problems: tuple[Problem, ...] = ()
    # Names the text this was read from (None when built in code): a store that synced that text skips the sync.
    digest: str | None = None

    def source(self, name: str) -> Source | None:
        wanted = name_key(name)
        return next((source for source in self.sources if name_key(source.name) == wanted), None)


# -- errors


class FollowListError(AmplifyError):
    """The whole follow list is unusable (missing, not YAML, wrong shape); the message says what to do."""


class SourceEditError(AmplifyError):
    """A change to feeds.yml was refused before anything was written; the message says why."""


class UnknownSource(SourceEditError):
    """No source by that name in feeds.yml."""


class DuplicateSource(SourceEditError):
    """feeds.yml already has a source by that name, or already lists that feed."""


# -- loading


def load_follow_list(path: str | os.PathLike[str]) -> FollowList:
    """Read feeds.yml: every valid entry, plus a Problem for each bad one (which is skipped).

    Raises FollowListError only when the file as a whole cannot be used.
    """
    return parse_follow_list(_read_text(Path(path)), file_name=Path(path).name)


def parse_follow_list(text: str, *, file_name: str = "feeds.yml") -> FollowList:
    """Like `load_follow_list`, from text already in memory."""
    follow_list = follow_list_from_document(_parse_fast(text, file_name), file_name=file_name)
    return replace(follow_list, digest=text_digest(text, file_name))


def read_follow_list_text(path: str | os.PathLike[str]) -> str:
    """The text of feeds.yml. Raises FollowListError, saying what to do, when it cannot be read."""
    return _read_text(Path(path))


def text_digest(text: str, file_name: str = "feeds.yml") -> str:
    """Names one feeds.yml text as this version of amplify reads it (the name is in its problems' messages)."""
    return hashlib.sha256(f"{__version__}\n{file_name}\n{text}".encode()).hexdigest()


def sync_follow_list(store: "Store", text: str, *, file_name: str = "feeds.yml") -> tuple[Problem, ...]:
    """Bring the store's sources in step with this feeds.yml text and return its problems. The text is parsed only
    when it differs from the one the store synced last: an unchanged file of 1,000 sources costs a hash, not the
    0.3 s of reading YAML, at every refresh from cron. Raises FollowListError when the text is unusable."""
    problems = store.synced_problems(text_digest(text, file_name))
    if problems is not None:
        return tuple(Problem(**problem) for problem in problems)
    follow_list = parse_follow_list(text, file_name=file_name)
    store.sync_sources(follow_list)
    return follow_list.problems


def follow_list_from_document(document: Mapping[str, Any], *, file_name: str = "feeds.yml") -> FollowList:
    """Validate a parsed feeds.yml (from either reader): the good sources, settings, and every problem."""
    problems = _repeated_keys(document, file_name)
    for key in document:
        if key not in ("settings", "sources"):
            message = f"unknown top-level key `{key}` (feeds.yml has `settings:` and `sources:`)"
            problems.append(Problem(message, _key_line(document, key), str(key), file_name))
    settings = _read_settings(document, file_name, problems)
    sources: list[Source] = []
    seen_names: dict[str, int | None] = {}
    seen_feeds: dict[str, str] = {}
    entries = document.get("sources") or []
    for index, entry in enumerate(entries):
        line = _item_line(entries, index)
        source, entry_problems = _read_entry(entry, line, file_name)
        if source is not None:
            entry_problems += _clashes(source, seen_names, seen_feeds, line, file_name)
        problems += entry_problems
        if source is None or entry_problems:
            continue
        seen_names[name_key(source.name)] = line
        seen_feeds.update((feed, source.name) for feed in source.feeds)
        sources.append(source)
    return FollowList(tuple(sources), settings, tuple(problems))


def _clashes(
    source: Source,
    seen_names: Mapping[str, int | None],
    seen_feeds: Mapping[str, str],
    line: int | None,
    file_name: str,
) -> list[Problem]:
    found: list[Problem] = []
    if name_key(source.name) in seen_names:
        earlier = seen_names[name_key(source.name)]
        where = f" (first on line {earlier})" if earlier else ""
        found.append(
            Problem(
                f"`name` {source.name!r} is already used by another source{where}; names must be unique",
                line,
                "name",
                file_name,
            )
        )
    for feed in source.feeds:
        if feed in seen_feeds:
            found.append(
                Problem(
                    f"`feed` {feed} is already listed under {seen_feeds[feed]!r}; a feed belongs to "
                    "one source",
                    line,
                    "feed",
                    file_name,
                )
            )
    return found


def _read_text(path: Path) -> str:
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


def _read_document(path: Path) -> CommentedMap:
    """The file as ruamel's round-trip document, for editing: comments and order come along."""
    return _parse_document(_read_text(path), str(path))


def _parse_document(text: str, file_name: str) -> CommentedMap:
    try:
        document = _yaml().load(text)
    except (MarkedYAMLError, YAMLError) as error:
        raise _not_yaml(error, file_name) from error
    return _check_shape(document, file_name)


def _not_yaml(error: Exception, file_name: str) -> FollowListError:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f" line {mark.line + 1}" if mark is not None else ""
    reason = getattr(error, "problem", None) or getattr(error, "context", None) or str(error)
    return FollowListError(f"{file_name}{where}: not valid YAML ({reason}); fix that and try again")


def _check_shape(document: Any, file_name: str) -> Any:
    if not isinstance(document, Mapping):
        raise FollowListError(
            f"{file_name}: expected a mapping with a `sources:` list at the top (see docs/feeds-yml.md)"
        )
    entries = document.get("sources")
    if entries is not None and not isinstance(entries, list):
        raise FollowListError(
            f"{file_name} line {_key_line(document, 'sources')}: `sources` must be a list of entries, "
            "each starting with `- name: ...`"
        )
    return document


# Reading for refresh goes through libyaml (PyYAML's C parser), about fifteen times faster than ruamel's
# pure-Python round-trip parser: a 1000-source list takes 0.2 s instead of 2.6 s, and refresh reads the file
# every time. libyaml only composes the node tree (with line numbers); the values are built here with the
# YAML 1.2 core schema, as ruamel reads them, so `no`, `on` or `yes` stay words (YAML 1.1 made them booleans).

_YAML_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_YAML_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML_INT = re.compile(r"^[-+]?[0-9]+$")
_YAML_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


class _LinedMap(dict[Any, Any]):
    """A mapping that remembers the line of each key, and keys that appeared twice."""

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}
        self.repeated: list[tuple[Any, int]] = []


class _LinedList(list[Any]):
    """A list that remembers the line of each item."""

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
        raise _not_yaml(error, file_name) from error
    finally:
        loader.dispose()
    if node is None:
        return _check_shape(None, file_name)
    try:
        return _check_shape(_build(node, set(), {}), file_name)
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
        items = _LinedList()
        for child in node.value:
            items.append(_build(child, open_nodes, built))
            items.item_lines.append(child.start_mark.line + 1)
        result: Any = items
    else:
        mapping = _LinedMap()
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


def _repeated_keys(mapping: Any, file_name: str) -> list[Problem]:
    """A key written twice in one mapping: YAML would silently keep one of them, so say so."""
    return [
        Problem(f"`{key}` appears twice here; keep one", line, str(key), file_name)
        for key, line in getattr(mapping, "repeated", ())
    ]


def _read_entry(entry: Any, line: int | None, file_name: str) -> tuple[Source | None, list[Problem]]:
    """Validate one `sources:` entry: the Source it describes, or every problem found with it."""
    if not isinstance(entry, Mapping):
        return None, [Problem("each source is a mapping starting with `- name: ...`", line, None, file_name)]
    problems: list[Problem] = []

    def problem(key: str, message: str, at: int | None = None) -> None:
        problems.append(Problem(message, at or _key_line(entry, key) or line, key, file_name))

    for mapping in (entry, entry.get("handles"), entry.get("identity")):
        problems += _repeated_keys(mapping, file_name)
    for key in entry:
        if key not in SOURCE_FIELDS:
            problem(str(key), f"unknown field `{key}` (a source has: {', '.join(SOURCE_FIELDS)})")

    name = _text(entry.get("name"))
    if not name:
        problem("name", "`name` is required: who is this source?")

    feeds = _read_feeds(entry, problem)
    url = _optional_url(entry, "url", problem)
    kind = _choice(entry, "kind", KINDS, "creator", problem)
    credit = _choice(entry, "credit", CREDIT_PREFERENCES, "tag", problem)
    tags = _text_list(entry, "tags", problem)
    domains = tuple(domain.lower() for domain in _text_list(entry, "domains", problem))
    for domain in domains:
        if not DOMAIN_PATTERN.match(domain):
            problem("domains", f"`domains` entries are domain names like example.org, not {domain!r}")
    handles = _read_handles(entry, problem)
    labels, identity_source = _read_identity(entry, problem)
    notes = entry.get("notes")
    if notes is not None and not isinstance(notes, str):
        problem("notes", "`notes` must be text")
    notes = notes.strip() or None if isinstance(notes, str) else None

    if problems:
        return None, problems
    return Source(
        name=name or "",
        feeds=feeds,
        url=url,
        kind=kind,
        handles=handles,
        tags=tags,
        identity_labels=labels,
        identity_source=identity_source,
        credit=credit,
        domains=domains,
        line=line,
        notes=notes,
    ), []


# problem(field, message, at=line): records one Problem, at the field's own line unless told otherwise.
Report = Callable[..., None]


def _read_feeds(entry: Mapping[str, Any], problem: Report) -> tuple[str, ...]:
    if "feed" in entry and "feeds" in entry:
        problem("feeds", "use either `feed` (one URL) or `feeds` (a list), not both")
        return ()
    if "feeds" in entry:
        values = entry["feeds"]
        if not isinstance(values, list) or not values:
            problem("feeds", "`feeds` must be a list of http(s) URLs")
            return ()
        key = "feeds"
    elif "feed" in entry:
        values, key = [entry["feed"]], "feed"
    else:
        problem("feed", "`feed` is required: the URL of the source's RSS, Atom or JSON feed")
        return ()
    feeds: list[str] = []
    for value in values:
        url = _text(value)
        if not url or not is_http_url(url):
            problem(key, f"`{key}` must be an http(s) URL, not {value!r}")
        elif url not in feeds:
            feeds.append(url)
    return tuple(feeds)


def _read_handles(entry: Mapping[str, Any], problem: Report) -> dict[str, str]:
    raw = entry.get("handles")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problem("handles", '`handles` must map a network to a handle, like {mastodon: "@ada@bakers.social"}')
        return {}
    handles: dict[str, str] = {}
    for network, value in raw.items():
        if network not in NETWORKS:
            problem(
                "handles",
                f"`handles`: unknown network `{network}` (known: {', '.join(NETWORKS)})",
                _key_line(raw, network),
            )
            continue
        handle = normalize_handle(str(network), _text(value) or "")
        if handle is None:
            problem(
                "handles",
                f"`handles.{network}`: {value!r} is not a {network} handle ({HANDLE_SHAPES[network]})",
                _key_line(raw, network),
            )
        else:
            handles[str(network)] = handle
    return handles


HANDLE_SHAPES = {
    "mastodon": "like @ada@bakers.social",
    "bluesky": "a domain like ada.bsky.social",
    "x": "like @ada, at most 15 letters, digits or _",
    "linkedin": "the name in the profile URL, like adasbakery",
    "threads": "the profile name, like adasbakery",
}


def normalize_handle(network: str, handle: str) -> str | None:
    """The handle in the one shape amplify stores for `network`, or None when it does not have that shape.

    Mastodon and X handles keep their leading @; Bluesky, LinkedIn and Threads are stored as the bare name.
    """
    handle = handle.strip()
    if network == "mastodon":
        found = _MASTODON_HANDLE.match(handle)
        return f"@{found.group(1)}@{found.group(2).lower()}" if found else None
    if network == "bluesky":
        bare = handle.removeprefix("@").lower()
        return bare if DOMAIN_PATTERN.match(bare) else None
    if network == "x":
        found = _X_HANDLE.match(handle)
        return f"@{found.group(1)}" if found else None
    if network in ("linkedin", "threads"):
        found = _PROFILE_NAME.match(handle)
        return found.group(1) if found else None
    return None


def _read_identity(entry: Mapping[str, Any], problem: Report) -> tuple[tuple[str, ...], str | None]:
    raw = entry.get("identity")
    if raw is None:
        return (), None
    if not isinstance(raw, Mapping):
        problem("identity", "`identity` must be a mapping with `labels` and `source`")
        return (), None
    unknown = [key for key in raw if key not in ("labels", "source")]
    if unknown:
        problem("identity", f"`identity` has `labels` and `source` only, not `{unknown[0]}`")
    labels = _text_list(
        raw,
        "labels",
        lambda _key, _message: problem(
            "identity", "`identity.labels` must be a list of the words the source uses, like [Black-owned]"
        ),
    )
    source = _text(raw.get("source"))
    if source is not None and not is_http_url(source):
        problem("identity", f"`identity.source` must be an http(s) URL, not {raw.get('source')!r}")
    elif labels and source is None:
        problem(
            "identity",
            "`identity.labels` need `identity.source`: the http(s) URL where the source says this of itself",
        )
    return labels, source


def _read_settings(document: Mapping[str, Any], file_name: str, problems: list[Problem]) -> Settings:
    raw = document.get("settings")
    defaults = Settings()
    if raw is None:
        return defaults
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                "`settings` must be a mapping; using the defaults",
                _key_line(document, "settings"),
                "settings",
                file_name,
            )
        )
        return defaults

    def problem(key: str, message: str) -> None:
        problems.append(
            Problem(message, _key_line(raw, key) or _key_line(document, "settings"), key, file_name)
        )

    problems += _repeated_keys(raw, file_name)

    for key in raw:
        if key not in SETTING_FIELDS:
            problem(str(key), f"unknown setting `{key}` (settings are: {', '.join(SETTING_FIELDS)})")
    networks = defaults.networks
    if "networks" in raw:
        chosen = _text_list(raw, "networks", problem)
        unknown = [network for network in chosen if network not in NETWORKS]
        if unknown:
            problem(
                "networks",
                f"`networks`: unknown network `{unknown[0]}` (known: {', '.join(NETWORKS)}); "
                "using the default networks",
            )
        elif chosen:
            networks = chosen
    instance = defaults.mastodon_instance
    if "mastodon_instance" in raw:
        value = (_text(raw.get("mastodon_instance")) or "").lower()
        if DOMAIN_PATTERN.match(value):
            instance = value
        else:
            problem(
                "mastodon_instance",
                "`mastodon_instance` must be a server name like mastodon.social, not "
                f"{raw.get('mastodon_instance')!r}",
            )
    goals: dict[str, object] = {}
    if raw.get("goals") is not None:
        if isinstance(raw["goals"], Mapping):
            goals = plain(raw["goals"])
        else:
            problem("goals", "`goals` must be a mapping, like {shares_per_week: 3}")
    allow_private = raw.get("allow_private_addresses", False)
    if not isinstance(allow_private, bool):
        problem("allow_private_addresses", "`allow_private_addresses` must be true or false, not "
                f"{one_line(repr(allow_private), 80)}; private addresses stay refused")
        allow_private = False
    return Settings(networks=networks, mastodon_instance=instance, goals=goals,
                    allow_private_addresses=allow_private)


# -- small readers


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NAME_LIMIT = 200


def one_line(text: str, limit: int = NAME_LIMIT) -> str:
    """Text from elsewhere (a feed title, an OPML outline) made fit to be a name: one line, whitespace
    collapsed, control characters (terminal escapes among them) dropped, at most `limit` characters."""
    return " ".join(_CONTROL.sub("", text).split())[:limit]


def is_http_url(text: str) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace."""
    if not text or _SPACE_OR_CONTROL.search(text):
        return False
    try:
        parts = urlsplit(text)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _text(value: Any) -> str | None:
    """A scalar as stripped text (numbers too: a source may be called 1999); None for blank or non-scalar."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip() or None
    return None


def _text_list(mapping: Mapping[str, Any], key: str, problem: Report) -> tuple[str, ...]:
    raw = mapping.get(key)
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or any(_text(value) is None for value in values):
        problem(key, f"`{key}` must be a list of words, like [food, local]")
        return ()
    return tuple(dict.fromkeys(_text(value) or "" for value in values))


def _optional_url(mapping: Mapping[str, Any], key: str, problem: Report) -> str | None:
    value = mapping.get(key)
    if value is None:
        return None
    text = _text(value)
    if not text or not is_http_url(text):
        problem(key, f"`{key}` must be an http(s) URL, not {value!r}")
        return None
    return text


def _choice(
    mapping: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str, problem: Report
) -> str:
    value = mapping.get(key)
    if value is None:
        return default
    if value not in choices:
        problem(key, f"`{key}` must be one of {', '.join(choices)}, not {value!r}")
        return default
    return str(value)


def plain(value: Any) -> Any:
    """ruamel's commented containers and scalars as plain dicts, lists, str, int, float."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _key_line(mapping: Any, key: Any) -> int | None:
    if isinstance(mapping, _LinedMap):
        return mapping.key_lines.get(key)
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def _item_line(sequence: Any, index: int) -> int | None:
    if isinstance(sequence, _LinedList):
        return sequence.item_lines[index]
    try:
        return int(sequence.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap the user's long lines
    return yaml


# -- round-trip writing


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
    document = _read_document(target) if target.exists() else CommentedMap(sources=CommentedSeq())
    names = _names_in(document)
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
        _write_document(target, document)
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
    document = _read_document(target)
    entry = _find_entry(document, name, target.name)
    if "identity_labels" in changes or "identity_source" in changes:
        identity = (
            entry.get("identity") if isinstance(entry.get("identity"), CommentedMap) else CommentedMap()
        )
        for key, field_name in (("labels", "identity_labels"), ("source", "identity_source")):
            if field_name in changes:
                _set_or_drop(identity, key, _yaml_value(key, changes[field_name]), ("labels", "source"))
        _set_or_drop(entry, "identity", identity)
    for key in ("url", "kind", "handles", "tags", "credit", "domains", "notes"):
        if key in changes and not (key not in entry and changes[key] == _IMPLIED.get(key)):
            _set_or_drop(entry, key, _yaml_value(key, changes[key]))
    updated = _check_entry(entry, target.name)
    if updated.handles:
        _set_or_drop(entry, "handles", _yaml_value("handles", updated.handles))
    _write_document(target, document)
    return updated


def remove_source(path: str | os.PathLike[str], name: str) -> None:
    """Unfollow: take the source out of feeds.yml. Its items, drafts and shares stay in the database."""
    target = Path(path)
    document = _read_document(target)
    entry = _find_entry(document, name, target.name)
    entries = document["sources"]
    index = next(index for index, item in enumerate(entries) if item is entry)
    following = _take_trailing_comments(entry)
    entries.pop(index)
    if index > 0:
        _give_trailing_comments(entries[index - 1], following)
    _write_document(target, document)


def set_setting(path: str | os.PathLike[str], key: str, value: Any) -> Settings:
    """Set one of `settings:` (networks, mastodon_instance, goals); None removes it so the default applies."""
    if key not in SETTING_FIELDS:
        raise SourceEditError(f"unknown setting `{key}` (settings are: {', '.join(SETTING_FIELDS)})")
    target = Path(path)
    document = _read_document(target)
    settings = document.get("settings")
    if not isinstance(settings, CommentedMap):
        settings = CommentedMap()
        document.insert(0, "settings", settings)
    _set_or_drop(settings, key, _yaml_value(key, value), SETTING_FIELDS)
    problems: list[Problem] = []
    checked = _read_settings(document, target.name, problems)
    if problems:
        raise SourceEditError("; ".join(problem.message for problem in problems))
    _write_document(target, document)
    return checked


def forget_source(
    path: str | os.PathLike[str], store: "Store", name: str, *, redact_shares: bool = False
) -> str:
    """Forget who a source is: drop its identity labels, handles and notes, and rename it
    "forgotten source N", in feeds.yml and in the database. The share log is untouched (it holds source ids,
    never identity); with `redact_shares`, a redaction is appended for each of the source's shares, and every
    display and export shows their words as redacted.

    `name` matches the way feeds.yml matches names (any case or spacing, see `amplify.names`), in the file and
    in the database alike, and every database row by that name is forgotten. Works for a source that is only in
    the database (unfollowed earlier) too. Returns the new name.
    """
    if store.write_refusal is not None:  # before feeds.yml changes: both forget, or neither does
        raise SourceEditError(store.write_refusal)
    target = Path(path)
    # Without a follow list there is nothing to edit in it: the source may still be in the database.
    document = _read_document(target) if target.exists() else CommentedMap()
    in_file = _find_entry(document, name, target.name, required=False)
    rows = store.source_ids_named(name)
    if in_file is None and not rows:
        raise UnknownSource(f"no source named {name!r} in {target.name} or in the database")
    taken = _names_in(document)
    new_names: list[str] = []
    number = store.forgotten_source_count()
    while len(new_names) < max(len(rows), 1):
        number += 1
        candidate = _FORGOTTEN_NAME.format(number)
        if name_key(candidate) not in taken and not store.source_ids_named(candidate):
            new_names.append(candidate)
    if in_file is not None:
        for key in ("identity", "handles", "notes"):
            _set_or_drop(in_file, key, None)
        in_file["name"] = new_names[0]
        _write_document(target, document)
    for source_id, new_name in zip(rows, new_names, strict=False):
        store.forget_source(source_id, new_name, redact_shares=redact_shares)
    return new_names[0]


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
        _set_or_drop(identity, "labels", _yaml_value("labels", list(source.identity_labels)))
        _set_or_drop(identity, "source", source.identity_source)
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


def _set_or_drop(mapping: CommentedMap, key: str, value: Any, order: tuple[str, ...] = SOURCE_FIELDS) -> None:
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


def _names_in(document: CommentedMap) -> set[str]:
    """The names the file's entries use, as `name_key`s."""
    return {name_key(_text(item.get("name")) or "") for item in _entries(document) if isinstance(item, Mapping)}


def _find_entry(
    document: CommentedMap, name: str, file_name: str, *, required: bool = True
) -> CommentedMap | None:
    wanted = name_key(name)
    for entry in _entries(document):
        if isinstance(entry, CommentedMap) and name_key(_text(entry.get("name")) or "") == wanted:
            return entry
    if required:
        raise UnknownSource(f"no source named {name!r} in {file_name}")
    return None


def _check_entry(entry: CommentedMap, file_name: str) -> Source:
    source, problems = _read_entry(entry, None, file_name)
    if source is None:
        raise SourceEditError("; ".join(problem.message for problem in problems))
    return source


def _write_document(path: Path, document: CommentedMap) -> None:
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
