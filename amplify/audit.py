"""The voice audit: whose voices the user amplifies, over a window of time, and their own goals.

Pure functions over the rows `amplify.store` returns (`AuditSource`, `AuditShare`, checklist snapshots,
refused attempts); `run_audit` is the one place that asks the store. Only the user's own shares count, never
retracted ones. Identity labels are what a source says of itself, with the URL where it said it, joined at
query time: a source without labels, without a statement URL, or forgotten counts under "not stated". Nothing
is ever inferred.
docs/audit.md gives each metric's formula and the SQL behind it. Windows of time are in `amplify.audit_windows`,
goals in `amplify.goals`, checklist health in `amplify.checklist_health` and reach by voice in `amplify.audit_reach`;
this module re-exports what its callers have always imported from it.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from amplify.audit_windows import LAST_DAYS_CHOICES as LAST_DAYS_CHOICES
from amplify.audit_windows import AuditError as AuditError
from amplify.audit_windows import Window as Window
from amplify.audit_windows import all_time as all_time
from amplify.audit_windows import calendar_month as calendar_month
from amplify.audit_windows import last_days as last_days
from amplify.audit_windows import parse_window as parse_window
from amplify.checklist_health import CheckHealth, checklist_health
from amplify.checklist_health import check_outcomes as check_outcomes
from amplify.checklist_health import refused_check_ids as refused_check_ids
from amplify.clock import from_iso
from amplify.goals import GoalProgress, Goals
from amplify.goals import GroupTarget as GroupTarget
from amplify.goals import goals_from_settings as goals_from_settings
from amplify.goals import goals_to_settings as goals_to_settings
from amplify.store import Store
from amplify.types import AuditShare, AuditSource, CheckFlags, RefusedAttempt, SharedChecklist

NOT_STATED = "not stated"
NO_TAGS = "no tags"
TOP_N = 5


# -- records -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceShares:
    """One source's part of the amplification in the window, and when it was last shared at all."""

    source_id: int
    name: str
    kind: str
    shares: int
    fraction: float
    followed: bool
    last_shared_at: str | None
    days_since_last_share: int | None
    labels: tuple[str, ...] = ()
    statement_url: str | None = None


@dataclass(frozen=True)
class GroupShares:
    """One group (a kind, a tag, a self-described label, or "not stated") against the followed set."""

    group: str
    shares: int
    amplification_share: float | None
    followed_sources: int
    followed_share: float | None
    representation_ratio: float | None


@dataclass(frozen=True)
class WeekShares:
    week_start: date
    group: str
    shares: int


@dataclass(frozen=True)
class NeglectedSource:
    """A followed source that published in the window and was never shared in it."""

    source_id: int
    name: str
    kind: str
    items_in_window: int
    latest_item_at: str | None
    last_shared_at: str | None


@dataclass(frozen=True)
class Audit:
    window: Window
    as_of: datetime
    total_shares: int
    weeks: float
    shares_per_week: float
    followed_sources: int
    sources_shared: int
    followed_sources_shared: int
    coverage: float | None
    top5_share: float | None
    effective_voices: float
    evenness: float | None
    by_source: list[SourceShares]
    by_kind: list[GroupShares]
    by_tag: list[GroupShares]
    by_label: list[GroupShares]
    weekly_by_kind: list[WeekShares]
    weekly_by_label: list[WeekShares]
    neglected: list[NeglectedSource]
    last_shared: list[SourceShares]
    checklist: list[CheckHealth]
    refused_attempts: int


# -- groups: what a source says of itself --------------------------------------------------------------------


def kind_groups(source: AuditSource) -> tuple[str, ...]:
    return (source.kind,)


def tag_groups(source: AuditSource) -> tuple[str, ...]:
    return source.tags or (NO_TAGS,)


def stated_labels(source: AuditSource) -> tuple[str, ...]:
    """Self-described labels, only when the source's statement URL is known and it was not forgotten."""
    if source.forgotten or not source.identity_source:
        return ()
    return tuple(dict.fromkeys(label for label in source.identity_labels if label.strip()))


def label_groups(source: AuditSource) -> tuple[str, ...]:
    return stated_labels(source) or (NOT_STATED,)


# -- metrics -------------------------------------------------------------------------------------------------


def shares_by_source(shares: Iterable[AuditShare]) -> Counter[int]:
    return Counter(share.source_id for share in shares)


def coverage(sources: Sequence[AuditSource], counts: Counter[int]) -> float | None:
    """Followed sources shared in the window / followed sources; None when nobody is followed."""
    followed = [source.id for source in sources if source.followed]
    if not followed:
        return None
    return sum(1 for source_id in followed if counts[source_id]) / len(followed)


def top_share(counts: Counter[int], n: int = TOP_N) -> float | None:
    """The part of all shares that went to the `n` most-shared sources; None with no shares."""
    total = sum(counts.values())
    if not total:
        return None
    return sum(count for _, count in counts.most_common(n)) / total


def shannon_entropy(counts: Counter[int]) -> float:
    """H = -sum(p ln p) over the sources shared (natural log); 0 for none or one source."""
    total = sum(counts.values())
    return (
        -sum((count / total) * math.log(count / total) for count in counts.values() if count)
        if total
        else 0.0
    )


def effective_voices(counts: Counter[int]) -> float:
    """exp(H): as many equally shared voices as give this spread; 0 with no shares, 1 with one source."""
    if not sum(counts.values()):
        return 0.0
    return math.exp(shannon_entropy(counts))


def evenness(counts: Counter[int]) -> float | None:
    """H / ln(sources shared), from 0 (all on one) to 1 (equal); None below two sources."""
    shared = sum(1 for count in counts.values() if count)
    if shared < 2:
        return None
    return shannon_entropy(counts) / math.log(shared)


def group_shares(
    sources: Sequence[AuditSource], counts: Counter[int], groups_of: Callable[[AuditSource], tuple[str, ...]]
) -> list[GroupShares]:
    """Each group's share of amplification, its share of the followed set, and their ratio.

    amplification_share = shares of the group's sources / all shares; followed_share = followed sources in the
    group / followed sources; representation_ratio = amplification_share / followed_share (None when either is
    undefined).
    A source with several tags or labels counts in each, so those shares can add up to more than 1.
    """
    total = sum(counts.values())
    followed_total = sum(1 for source in sources if source.followed)
    shares: Counter[str] = Counter()
    followed: Counter[str] = Counter()
    for source in sources:
        for group in groups_of(source):
            shares[group] += counts[source.id]
            followed[group] += int(source.followed)
    result = []
    for group in set(shares) | set(followed):
        if not shares[group] and not followed[group]:
            continue
        amplification = shares[group] / total if total else None
        followed_share = followed[group] / followed_total if followed_total else None
        ratio = amplification / followed_share if amplification is not None and followed_share else None
        result.append(
            GroupShares(group, shares[group], amplification, followed[group], followed_share, ratio)
        )
    return sorted(result, key=lambda row: (-row.shares, -row.followed_sources, row.group.casefold()))


def week_start(moment: str) -> date:
    """The Monday (UTC) of the week a stored timestamp falls in."""
    day = date.fromisoformat(moment[:10])
    return day - timedelta(days=day.weekday())


def shares_by_week_and_source(shares: Iterable[AuditShare]) -> Counter[tuple[date, int]]:
    """Shares counted per (Monday of the week, source id)."""
    per_day = Counter((share.shared_at[:10], share.source_id) for share in shares)
    # A year of shares falls on at most 366 days: work out each day's Monday once.
    mondays = {day: week_start(day) for day in {day for day, _ in per_day}}
    per_week: Counter[tuple[date, int]] = Counter()
    for (day, source_id), count in per_day.items():
        per_week[mondays[day], source_id] += count
    return per_week


def weekly_shares(
    per_week: Counter[tuple[date, int]],
    sources: Sequence[AuditSource],
    groups_of: Callable[[AuditSource], tuple[str, ...]],
    first: date,
    last: date,
) -> list[WeekShares]:
    """Shares per week (weeks start on Monday, UTC) per group, every week from `first` to `last` listed.

    A week with no shares appears with group "" and 0, so a quiet week shows as a gap and not as nothing.
    """
    groups_by_source = {source.id: groups_of(source) for source in sources}
    by_week: defaultdict[date, Counter[str]] = defaultdict(Counter)
    for (monday, source_id), count in per_week.items():
        in_week = by_week[monday]
        for group in groups_by_source.get(source_id, (NOT_STATED,)):
            in_week[group] += count
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        in_week = by_week.get(monday)
        if in_week:
            weeks.extend(WeekShares(monday, group, count) for group, count in sorted(in_week.items()))
        else:
            weeks.append(WeekShares(monday, "", 0))
        monday += timedelta(days=7)
    return weeks


def days_between(earlier: str, later: datetime) -> int:
    return (later.date() - from_iso(earlier).date()).days


def source_shares(
    sources: Sequence[AuditSource], counts: Counter[int], as_of: datetime, *, only_shared: bool
) -> list[SourceShares]:
    """Per source: shares in the window, their fraction, and days since its last share (as of `as_of`)."""
    total = sum(counts.values())
    rows = [
        SourceShares(
            source_id=source.id,
            name=source.name,
            kind=source.kind,
            shares=counts[source.id],
            fraction=counts[source.id] / total if total else 0.0,
            followed=source.followed,
            last_shared_at=source.last_shared_at,
            days_since_last_share=days_between(source.last_shared_at, as_of)
            if source.last_shared_at
            else None,
            labels=stated_labels(source),
            statement_url=source.identity_source if stated_labels(source) else None,
        )
        for source in sources
        if counts[source.id] or not only_shared
    ]
    return sorted(rows, key=lambda row: (-row.shares, row.name.casefold()))


def neglected_sources(sources: Sequence[AuditSource], counts: Counter[int]) -> list[NeglectedSource]:
    """Followed sources that published in the window and were not shared in it; the most active first."""
    rows = [
        NeglectedSource(
            source.id,
            source.name,
            source.kind,
            source.items_in_window,
            source.latest_item_at,
            source.last_shared_at,
        )
        for source in sources
        if source.followed and source.items_in_window and not counts[source.id]
    ]
    return sorted(rows, key=lambda row: (-row.items_in_window, row.name.casefold()))


def compute_audit(
    window: Window,
    as_of: datetime,
    sources: Sequence[AuditSource],
    shares: Sequence[AuditShare],
    latest: SharedChecklist | None = None,
    flags: Sequence[CheckFlags] = (),
    refusals: Sequence[RefusedAttempt] = (),
) -> Audit:
    """Every metric of the audit from the store's rows for one window."""
    counts = shares_by_source(shares)
    total = len(shares)
    start = window.start or (from_iso(shares[0].shared_at) if shares else as_of)
    weeks = max((as_of - start).total_seconds(), 0) / (7 * 86400)
    weeks_shown = (start.date(), (as_of - timedelta(seconds=1)).date())
    followed = [source for source in sources if source.followed]
    per_week = shares_by_week_and_source(shares)
    return Audit(
        window=window,
        as_of=as_of,
        total_shares=total,
        weeks=weeks,
        shares_per_week=total / weeks if weeks else 0.0,
        followed_sources=len(followed),
        sources_shared=sum(1 for count in counts.values() if count),
        followed_sources_shared=sum(1 for source in followed if counts[source.id]),
        coverage=coverage(sources, counts),
        top5_share=top_share(counts),
        effective_voices=effective_voices(counts),
        evenness=evenness(counts),
        by_source=source_shares(sources, counts, as_of, only_shared=True),
        by_kind=group_shares(sources, counts, kind_groups),
        by_tag=group_shares(sources, counts, tag_groups),
        by_label=group_shares(sources, counts, label_groups),
        weekly_by_kind=weekly_shares(per_week, sources, kind_groups, *weeks_shown) if total else [],
        weekly_by_label=weekly_shares(per_week, sources, label_groups, *weeks_shown) if total else [],
        neglected=neglected_sources(sources, counts),
        last_shared=source_shares(followed, Counter(), as_of, only_shared=False),
        checklist=checklist_health(total, latest.snapshot if latest else {}, flags, refusals),
        refused_attempts=len(refusals),
    )


def run_audit(store: Store, window: Window, now: datetime) -> Audit:
    """Ask the store for the window's rows and compute the audit as of `now` (or the window end)."""
    as_of = min(now, window.end)
    start, end = window.start_iso, window.end_iso
    return compute_audit(
        window,
        as_of,
        store.audit_sources(start, end),
        store.audit_shares(start, end),
        store.latest_checklist(start, end),
        store.checklist_flags(start, end),
        store.refused_attempts(start, end),
    )


# -- goals ---------------------------------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _progress(goal: str, target: float, actual: float | None, sentence: str) -> GoalProgress:
    return GoalProgress(goal, target, actual, actual is not None and actual >= target, sentence)


def goal_progress(audit: Audit, goals: Goals) -> list[GoalProgress]:
    """Progress against each goal over the audit's window, as plain sentences."""
    over = audit.window.during
    progress = []
    if goals.shares_per_week is not None:
        progress.append(
            _progress(
                "shares a week",
                goals.shares_per_week,
                audit.shares_per_week,
                f"You hoped to share {_number(goals.shares_per_week)} posts a week; "
                f"{over} it was {_number(audit.shares_per_week)} a week.",
            )
        )
    if goals.min_coverage is not None:
        reached = (
            f"{over} you shared {audit.followed_sources_shared} of {audit.followed_sources} "
            f"({_percent(audit.coverage)})."
            if audit.coverage is not None
            else "you follow no one yet."
        )
        progress.append(
            _progress(
                "voices reached",
                goals.min_coverage,
                audit.coverage,
                f"You hoped to share at least {_percent(goals.min_coverage)} of the voices you follow; "
                f"{reached}",
            )
        )
    by_label = {row.group.casefold(): row for row in audit.by_label}
    for target in goals.group_targets:
        row = by_label.get(target.label.casefold())
        actual = (row.amplification_share or 0.0) if row else (0.0 if audit.total_shares else None)
        reached = f"{over} it was {_percent(actual)}." if actual is not None else f"no shares {over} yet."
        progress.append(
            _progress(
                target.label,
                target.share,
                actual,
                f"You hoped {_percent(target.share)} of your shares would go to sources that describe "
                f"themselves as {target.label} (a goal, not a quota); {reached}",
            )
        )
    return progress
