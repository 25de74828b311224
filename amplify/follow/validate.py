"""Validating feeds.yml: from a parsed document (either reader's) to the good sources, the settings and a
`Problem` for each bad entry, by line and field. A bad entry is skipped; the other sources still load.

docs/feeds-yml.md is the reference for the format.
"""

from collections.abc import Callable, Mapping
from typing import Any

from amplify import networks, slots
from amplify.names import name_key, one_line
from amplify.types import CREDIT_PREFERENCES, KINDS, FollowList, Problem, Settings, Source
from amplify.urls import DOMAIN_PATTERN, is_http_url

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
SETTING_FIELDS = ("networks", "mastodon_instance", "goals", "allow_private_addresses", "post_visibility", "language",
                  "timezone", "schedule")
VISIBILITIES = ("public", "unlisted", "private")


def follow_list_from_document(document: Mapping[str, Any], *, file_name: str = "feeds.yml") -> FollowList:
    """Validate a parsed feeds.yml (from either reader): the good sources, settings, and every problem."""
    problems = repeated_keys(document, file_name)
    for key in document:
        if key not in ("settings", "sources"):
            message = f"unknown top-level key `{key}` (feeds.yml has `settings:` and `sources:`)"
            problems.append(Problem(message, key_line(document, key), str(key), file_name))
    settings = read_settings(document, file_name, problems)
    sources: list[Source] = []
    seen_names: dict[str, int | None] = {}
    seen_feeds: dict[str, str] = {}
    entries = document.get("sources") or []
    for index, entry in enumerate(entries):
        line = item_line(entries, index)
        source, entry_problems = read_entry(entry, line, file_name)
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


def repeated_keys(mapping: Any, file_name: str) -> list[Problem]:
    """A key written twice in one mapping: YAML would silently keep one of them, so say so."""
    return [
        Problem(f"`{key}` appears twice here; keep one", line, str(key), file_name)
        for key, line in getattr(mapping, "repeated", ())
    ]


def read_entry(entry: Any, line: int | None, file_name: str) -> tuple[Source | None, list[Problem]]:
    """Validate one `sources:` entry: the Source it describes, or every problem found with it."""
    if not isinstance(entry, Mapping):
        return None, [Problem("each source is a mapping starting with `- name: ...`", line, None, file_name)]
    problems: list[Problem] = []

    def problem(key: str, message: str, at: int | None = None) -> None:
        problems.append(Problem(message, at or key_line(entry, key) or line, key, file_name))

    for mapping in (entry, entry.get("handles"), entry.get("identity")):
        problems += repeated_keys(mapping, file_name)
    for key in entry:
        if key not in SOURCE_FIELDS:
            problem(str(key), f"unknown field `{key}` (a source has: {', '.join(SOURCE_FIELDS)})")

    name = scalar_text(entry.get("name"))
    if not name:
        problem("name", "`name` is required: who is this source?")

    feeds = _read_feeds(entry, problem)
    url = _optional_url(entry, "url", problem)
    kind = _choice(entry, "kind", KINDS, "creator", problem)
    credit = _choice(entry, "credit", CREDIT_PREFERENCES, "tag", problem)
    tags = text_list(entry, "tags", problem)
    domains = tuple(domain.lower() for domain in text_list(entry, "domains", problem))
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
        url = scalar_text(value)
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
        if network not in networks.IDS:
            problem(
                "handles",
                f"`handles`: unknown network `{network}` (known: {', '.join(networks.IDS)})",
                key_line(raw, network),
            )
            continue
        handle = networks.normalize_handle(str(network), scalar_text(value) or "")
        if handle is None:
            problem(
                "handles",
                f"`handles.{network}`: {value!r} is not a {network} handle ({networks.HANDLE_SHAPES[network]})",
                key_line(raw, network),
            )
        else:
            handles[str(network)] = handle
    return handles


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
    labels = text_list(
        raw,
        "labels",
        lambda _key, _message: problem(
            "identity", "`identity.labels` must be a list of the words the source uses, like [Black-owned]"
        ),
    )
    source = scalar_text(raw.get("source"))
    if source is not None and not is_http_url(source):
        problem("identity", f"`identity.source` must be an http(s) URL, not {raw.get('source')!r}")
    elif labels and source is None:
        problem(
            "identity",
            "`identity.labels` need `identity.source`: the http(s) URL where the source says this of itself",
        )
    return labels, source


def read_settings(document: Mapping[str, Any], file_name: str, problems: list[Problem]) -> Settings:
    raw = document.get("settings")
    defaults = Settings()
    if raw is None:
        return defaults
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                "`settings` must be a mapping; using the defaults",
                key_line(document, "settings"),
                "settings",
                file_name,
            )
        )
        return defaults

    def problem(key: str, message: str) -> None:
        problems.append(
            Problem(message, key_line(raw, key) or key_line(document, "settings"), key, file_name)
        )

    problems += repeated_keys(raw, file_name)

    for key in raw:
        if key not in SETTING_FIELDS:
            problem(str(key), f"unknown setting `{key}` (settings are: {', '.join(SETTING_FIELDS)})")
    return Settings(networks=_networks_setting(raw, problem) or defaults.networks,
                    mastodon_instance=_instance_setting(raw, problem) or defaults.mastodon_instance,
                    goals=_goals_setting(raw, problem), allow_private_addresses=_allow_private_setting(raw, problem),
                    **_posting_settings(raw, problem))


def _networks_setting(raw: Mapping[str, Any], problem: Report) -> tuple[str, ...] | None:
    """`networks:`, the networks drafts are written for; None (the defaults) when absent, empty or unknown."""
    if "networks" not in raw:
        return None
    chosen = text_list(raw, "networks", problem)
    unknown = [network for network in chosen if network not in networks.IDS]
    if unknown:
        problem("networks", f"`networks`: unknown network `{unknown[0]}` (known: {', '.join(networks.IDS)}); "
                            "using the default networks")
        return None
    return tuple(chosen) or None


def _instance_setting(raw: Mapping[str, Any], problem: Report) -> str | None:
    """`mastodon_instance:`, a server name; None (the default) when absent or not a server name."""
    if "mastodon_instance" not in raw:
        return None
    value = (scalar_text(raw.get("mastodon_instance")) or "").lower()
    if DOMAIN_PATTERN.match(value):
        return value
    problem("mastodon_instance", "`mastodon_instance` must be a server name like mastodon.social, not "
                                 f"{raw.get('mastodon_instance')!r}")
    return None


def _goals_setting(raw: Mapping[str, Any], problem: Report) -> dict[str, object]:
    """`goals:`, read as plain data (amplify.audit checks what they say)."""
    if raw.get("goals") is None:
        return {}
    if isinstance(raw["goals"], Mapping):
        return plain(raw["goals"])
    problem("goals", "`goals` must be a mapping, like {shares_per_week: 3}")
    return {}


def _allow_private_setting(raw: Mapping[str, Any], problem: Report) -> bool:
    """`allow_private_addresses:`, true or false; anything else keeps private addresses refused."""
    allow_private = raw.get("allow_private_addresses", False)
    if isinstance(allow_private, bool):
        return allow_private
    problem("allow_private_addresses", "`allow_private_addresses` must be true or false, not "
            f"{one_line(repr(allow_private), 80)}; private addresses stay refused")
    return False


def _posting_settings(raw: Mapping[str, Any], problem: Report) -> dict[str, Any]:
    """`post_visibility`, `language`, `timezone` and `schedule`: how amplify posts, and when."""
    chosen: dict[str, Any] = {"post_visibility": _choice(raw, "post_visibility", VISIBILITIES, "public", problem)}
    if raw.get("language") is not None:
        language = (scalar_text(raw["language"]) or "").lower()
        if len(language) == 2 and language.isalpha() and language.isascii():
            chosen["language"] = language
        else:
            problem("language", f"`language` must be a two-letter code like en or de, not {raw['language']!r}")
    if raw.get("timezone") is not None:
        try:
            chosen["timezone"] = str(slots.zone(str(raw["timezone"])))
        except ValueError as error:
            problem("timezone", f"`timezone`: {error}; using UTC")
    schedule = raw.get("schedule")
    if schedule is None:
        return chosen
    if not isinstance(schedule, Mapping):
        problem("schedule", '`schedule` must map a network to its posting times, like {mastodon: ["Tue 09:00"]}')
        return chosen
    kept: dict[str, tuple[str, ...]] = {}
    for network, times in schedule.items():
        if network not in ("mastodon", "bluesky"):
            problem("schedule", f"`schedule`: amplify posts to mastodon and bluesky only, not `{network}`")
            continue
        listed = [times] if isinstance(times, str) else times
        try:
            if not isinstance(listed, list):
                raise ValueError(f"list the times, like {network}: [\"Tue 09:00\"]")
            for text in listed:
                slots.parse_slot(str(text))
        except ValueError as error:
            problem("schedule", f"`schedule` for {network}: {error}")
            continue
        kept[str(network)] = tuple(str(text).strip() for text in listed)
    chosen["schedule"] = kept
    return chosen


# -- small readers


def scalar_text(value: Any) -> str | None:
    """A scalar as stripped text (numbers too: a source may be called 1999); None for blank or non-scalar."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip() or None
    return None


def text_list(mapping: Mapping[str, Any], key: str, problem: Report) -> tuple[str, ...]:
    raw = mapping.get(key)
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or any(scalar_text(value) is None for value in values):
        problem(key, f"`{key}` must be a list of words, like [food, local]")
        return ()
    return tuple(dict.fromkeys(scalar_text(value) or "" for value in values))


def _optional_url(mapping: Mapping[str, Any], key: str, problem: Report) -> str | None:
    value = mapping.get(key)
    if value is None:
        return None
    text = scalar_text(value)
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


# Line numbers, from either reader: the fast reader's containers carry `key_lines` and `item_lines`
# (amplify.follow.load), ruamel's round-trip ones their `lc`.


def key_line(mapping: Any, key: Any) -> int | None:
    lines = getattr(mapping, "key_lines", None)
    if lines is not None:
        return lines.get(key)
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def item_line(sequence: Any, index: int) -> int | None:
    lines = getattr(sequence, "item_lines", None)
    if lines is not None:
        return lines[index]
    try:
        return int(sequence.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None

