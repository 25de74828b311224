"""Your follow list at a glance: a mirror of whom you follow, never a judgement.

How many sources by kind and by the labels they use of themselves (with the part that states none, for labels are
never guessed), how many posted in the last 30 days, and who has been quiet for 90. The Sources page and
`amplify sources --summary` show the same numbers; each group is also a filter (`matches`) into the table.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from amplify.clock import from_iso
from amplify.types import KINDS, Source, SourceActivity

RECENT_DAYS = 30
QUIET_DAYS = 90
NOT_STATED = "not stated"


@dataclass(frozen=True)
class Glance:
    total: int
    by_kind: tuple[tuple[str, int], ...]
    by_label: tuple[tuple[str, int], ...]
    not_stated: int
    posted_recently: tuple[str, ...]
    quiet: tuple[str, ...]
    not_fetched: tuple[str, ...]


def glance(sources: Iterable[Source], activity: Mapping[str, SourceActivity], now: datetime) -> Glance:
    """The follow list's shape. `activity` is by source name; a source without it counts as not fetched yet.
    Quiet means fetched, and no post in the last QUIET_DAYS days (or none at all)."""
    listed = list(sources)
    kinds = Counter(source.kind for source in listed)
    labels = Counter(label for source in listed for label in dict.fromkeys(source.identity_labels))
    recent_since, quiet_since = now - timedelta(days=RECENT_DAYS), now - timedelta(days=QUIET_DAYS)
    recent, quiet, unfetched = [], [], []
    for source in listed:
        known = activity.get(source.name, SourceActivity())
        last = from_iso(known.last_post_at) if known.last_post_at else None
        if last is not None and last >= recent_since:
            recent.append(source.name)
        if not known.fetched and last is None:
            unfetched.append(source.name)
        elif last is None or last < quiet_since:
            quiet.append(source.name)
    return Glance(
        total=len(listed),
        by_kind=tuple((kind, kinds[kind]) for kind in KINDS),
        by_label=tuple(sorted(labels.items(), key=lambda pair: (-pair[1], pair[0].casefold()))),
        not_stated=sum(1 for source in listed if not source.identity_labels),
        posted_recently=tuple(recent),
        quiet=tuple(quiet),
        not_fetched=tuple(unfetched),
    )


def summary_lines(shape: Glance) -> list[str]:
    """The glance as plain lines of text, for `amplify sources --summary`."""
    if not shape.total:
        return ["You follow no sources yet."]
    lines = [f"{shape.total} {_plural(shape.total, 'source')}"]
    lines.append("By kind: " + ", ".join(f"{count} {kind}" for kind, count in shape.by_kind))
    labels = [f"{count} {label}" for label, count in shape.by_label]
    lines.append("As they describe themselves: " + ", ".join([*labels, f"{shape.not_stated} {NOT_STATED}"]))
    lines.append(f"Posted in the last {RECENT_DAYS} days: {len(shape.posted_recently)}")
    lines.append(f"Quiet for {QUIET_DAYS} days: {len(shape.quiet)}" + (f" ({', '.join(shape.quiet)})" if shape.quiet
                                                                          else ""))
    if shape.not_fetched:
        lines.append(f"Not fetched yet: {len(shape.not_fetched)}")
    return lines


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


@dataclass(frozen=True)
class Group:
    """One count of the glance, usable as a filter: `kind` is kind, label, not_stated, recent, quiet or
    not_fetched; `value` the kind or label it names."""

    kind: str
    value: str
    count: int

    @property
    def label(self) -> str:
        words = {
            "not_stated": "no label stated",
            "recent": f"posted in the last {RECENT_DAYS} days",
            "quiet": f"quiet for {QUIET_DAYS} days",
            "not_fetched": "not fetched yet",
        }
        return f"{words.get(self.kind, self.value)}: {self.count:,}"


def groups(shape: Glance) -> list[Group]:
    """Every count of the glance, in the order shown: kinds, labels (and not stated), then activity."""
    found = [Group("kind", kind, count) for kind, count in shape.by_kind if count]
    found += [Group("label", label, count) for label, count in shape.by_label]
    found.append(Group("not_stated", NOT_STATED, shape.not_stated))
    found.append(Group("recent", "recent", len(shape.posted_recently)))
    found.append(Group("quiet", "quiet", len(shape.quiet)))
    if shape.not_fetched:
        found.append(Group("not_fetched", "not_fetched", len(shape.not_fetched)))
    return found


def matches(group: Group, shape: Glance) -> Callable[[Source], bool]:
    """A test for the sources a group counts."""
    if group.kind == "kind":
        return lambda source: source.kind == group.value
    if group.kind == "label":
        return lambda source: group.value in source.identity_labels
    if group.kind == "not_stated":
        return lambda source: not source.identity_labels
    names = {"recent": shape.posted_recently, "quiet": shape.quiet, "not_fetched": shape.not_fetched}[group.kind]
    wanted = set(names)
    return lambda source: source.name in wanted
