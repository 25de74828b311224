"""The monthly amplification report, built as plain data: sections of sentences and tables, every cell a string.

A report is built once from an `Audit` (and its reach by voice), in named steps, one a section, then written out
by `amplify.report_render` (Markdown or HTML): the same numbers as the Audit page, charts as tables. Source names
and labels can come from feeds, so Markdown escapes them and HTML escapes everything. The export of the share log
is `amplify.export`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from amplify.audit import (
    NOT_STATED,
    Audit,
    Goals,
    GroupShares,
    WeekShares,
    calendar_month,
    goal_progress,
    run_audit,
)
from amplify.audit_reach import GroupReach, NetworkReach, ReachAudit, run_reach_audit
from amplify.errors import AmplifyError
from amplify.store import Store


class ReportError(AmplifyError, ValueError):
    """A report or export that cannot be written as asked; the message says what would work."""


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Section:
    title: str
    sentences: list[str] = field(default_factory=list)
    table: Table | None = None
    # Drawn as stacked bars in HTML (above the table, which holds the same numbers); Markdown has the table only.
    weekly_chart: list[WeekShares] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    title: str
    intro: str
    sections: list[Section]


# -- numbers as words ----------------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def decimal(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:.{places}f}"


def day(moment: str | datetime | None) -> str:
    if moment is None:
        return "never"
    text = moment.isoformat() if isinstance(moment, datetime) else moment
    return text[:10]


def long_day(moment: datetime | date) -> str:
    return f"{moment.day} {moment:%B %Y}"


# -- building ------------------------------------------------------------------------------------------------


def _group_table(rows: list[GroupShares]) -> Table:
    return Table(
        ("Group", "Shares", "Part of your shares", "Part of those you follow", "Ratio"),
        [
            (
                row.group,
                str(row.shares),
                percent(row.amplification_share),
                percent(row.followed_share),
                decimal(row.representation_ratio, 2),
            )
            for row in rows
        ],
    )


def weekly_table(weekly: list[WeekShares]) -> Table:
    """Shares per week as a table: one row per week, one column per group, and the total."""
    groups = sorted({row.group for row in weekly if row.group}, key=str.casefold)
    by_week: dict[date, dict[str, int]] = {}
    for row in weekly:
        by_week.setdefault(row.week_start, {})
        if row.group:
            by_week[row.week_start][row.group] = row.shares
    return Table(
        ("Week of", *groups, "All shares"),
        [
            (week.isoformat(), *(str(counts.get(group, 0)) for group in groups), str(sum(counts.values())))
            for week, counts in by_week.items()
        ],
    )


def _some(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def weekly_summary(weekly: list[WeekShares]) -> str:
    """The weekly chart in words, for people who cannot see it: the weeks, the busiest, and each group's total."""
    table = weekly_table(weekly)
    if not table.rows:
        return "No shares to chart."
    totals = [(row[0], int(row[-1])) for row in table.rows]
    busiest_week, busiest = max(totals, key=lambda week: week[1])
    weeks = [week for week, _ in totals]
    groups = sorted(((group, sum(int(row[column]) for row in table.rows))
                     for column, group in enumerate(table.headers[1:-1], start=1)),
                    key=lambda total: (-total[1], total[0].casefold()))
    span = (f"1 week, the week of {weeks[0]}" if len(weeks) == 1
            else f"{len(weeks)} weeks, from the week of {min(weeks)} to the week of {max(weeks)}")
    return (f"{span}. The busiest was the week of {busiest_week}, with {busiest}. "
            f"All weeks together: {_some([f'{group} {count}' for group, count in groups], 8)}.")


def representation_summary(rows: list[GroupShares]) -> str:
    """The comparison chart in words: which groups you share more than you follow them, which less."""
    rated = sorted((row for row in rows if row.representation_ratio is not None),
                   key=lambda row: (-(row.representation_ratio or 0), row.group.casefold()))
    if not rated:
        return "No group to compare yet."

    def listed(chosen: list[GroupShares]) -> str:
        return _some([f"{row.group} ({decimal(row.representation_ratio, 2)})" for row in chosen])

    more = [row for row in rated if round(row.representation_ratio or 0, 2) > 1]
    less = [row for row in rated if round(row.representation_ratio or 0, 2) < 1]
    even = [row for row in rated if row not in more and row not in less]
    parts = [f"Shared more than followed: {listed(more)}." if more else "",
             f"In step: {listed(even)}." if even else "",
             f"Shared less than followed: {listed(less)}." if less else ""]
    return " ".join(part for part in parts if part)


CHECKLIST_HEALTH_CAPTION = (
    "For each check: on what part of your attempts to share it failed, whether it only flagged a post you "
    "shared (advisory checks, like centering) or stopped the share until it was fixed."
)


def build_report(audit: Audit, goals: Goals | None = None, reach: ReachAudit | None = None) -> Report:
    """The report's content for one audit: headline, goals, sources, groups, reach, weeks, neglected, checklist."""
    sections = [_headline_section(audit)]
    if goals is not None and not goals.empty:
        sections.append(Section("Your goals", [row.sentence for row in goal_progress(audit, goals)]))
    sections.append(_whom_section(audit))
    sections += _group_sections(audit)
    sections += _reach_sections(reach) if reach is not None else []
    sections += _weekly_sections(audit)
    sections.append(_neglected_section(audit))
    sections += _checklist_sections(audit)
    return Report(
        title=f"Amplification report: {audit.window.label}",
        intro=f"Whose voices you shared {audit.window.during}, as of {long_day(audit.as_of)}. "
        "Identity labels are only what sources say of themselves; everyone else is counted as not stated.",
        sections=sections,
    )


def _headline_section(audit: Audit) -> Section:
    """In short: shares, coverage, concentration, evenness and refused attempts, one sentence each."""
    return Section(
        "In short",
    [
        f"Shares: {audit.total_shares} ({decimal(audit.shares_per_week)} a week).",
        f"Voices shared: {audit.followed_sources_shared} of the {audit.followed_sources} you follow "
        f"({percent(audit.coverage)})."
        if audit.followed_sources
        else "You follow no one yet.",
        f"The five most-shared voices had {percent(audit.top5_share)} of your shares."
        if audit.top5_share is not None
        else "No shares, so nothing is concentrated yet.",
        f"Effective number of voices: {decimal(audit.effective_voices)}, as spread out as sharing that many "
        "voices equally "
        + (
            f"(evenness {decimal(audit.evenness, 2)}; 1 is perfectly even)."
            if audit.evenness is not None
            else "(evenness needs shares of two or more voices)."
        ),
        f"Share attempts the checklist stopped: {audit.refused_attempts}.",
    ],
    )


def _whom_section(audit: Audit) -> Section:
    """Each source shared, with what it says of itself and where."""
    during = audit.window.during
    return Section(
        "Whom you shared",
        [] if audit.by_source else [f"No shares {during}."],
        Table(
            ("Source", "Kind", "Shares", "Part", "Says of itself", "Where they said it"),
            [
                (
                    row.name,
                    row.kind,
                    str(row.shares),
                    percent(row.fraction),
                    ", ".join(row.labels) or "not stated",
                    row.statement_url or "",
                )
                for row in audit.by_source
            ],
        )
        if audit.by_source
        else None,
    )


def _group_sections(audit: Audit) -> list[Section]:
    """Shares by self-described label, kind and tag, against whom you follow (none before any label is shared)."""
    if not audit.by_label:
        return []
    ratio_note = (
        "Ratio is the group's part of your shares divided by its part of the sources you follow: "
        "1 is in step with whom you follow, above 1 more, below 1 less."
    )
    return [
        Section("By self-described label", [ratio_note], _group_table(audit.by_label)),
        Section("By kind", [], _group_table(audit.by_kind)),
        Section("By tag", [], _group_table(audit.by_tag)),
    ]


def _weekly_sections(audit: Audit) -> list[Section]:
    """Shares per week by kind, as a table and a chart (none without shares)."""
    if not audit.weekly_by_kind:
        return []
    return [Section("Shares per week, by kind", [], weekly_table(audit.weekly_by_kind),
                    weekly_chart=audit.weekly_by_kind)]


def _neglected_section(audit: Audit) -> Section:
    """Sources followed that published in the window and were not shared."""
    during = audit.window.during
    return Section(
        "Followed, posted, not shared",
        [f"Sources you follow that published {during} and that you did not share."]
        if audit.neglected
        else [f"Everyone you follow who published {during} was shared."],
        Table(
            ("Source", "Posts", "Latest post", "Last shared"),
            [
                (row.name, str(row.items_in_window), day(row.latest_item_at), day(row.last_shared_at))
                for row in audit.neglected
            ],
        )
        if audit.neglected
        else None,
    )


def _checklist_sections(audit: Audit) -> list[Section]:
    """How often each check failed, was flagged at share time, and stopped a share (none before any attempt)."""
    if not audit.checklist:
        return []
    return [
        Section(
            "Checklist health",
            [CHECKLIST_HEALTH_CAPTION],
            Table(
                ("Check", "Part of attempts it failed", "Flagged when shared", "Attempts it stopped",
                 "Why it matters"),
                [
                    (
                        row.label,
                        percent(row.failure_rate),
                        f"{row.flagged_at_share} of {row.shares_checked}" if row.shares_checked else "–",
                        str(row.refused_attempts),
                        row.why or "",
                    )
                    for row in audit.checklist
                ],
            ),
        )
    ]


# -- reach by voice ------------------------------------------------------------------------------------------


def reach_summary(reach: ReachAudit) -> str:
    """The section in plain words: how many shares have numbers, and where the interactions went."""
    if not reach.measured_shares:
        return (f"None of your {reach.total_shares} shares {reach.window.during} has reach numbers yet. Run "
                "`amplify reach` or press \"Check reach\" for Mastodon and Bluesky posts with a link, or type the "
                "numbers you see on History.") if reach.total_shares else f"No shares {reach.window.during}."
    words = [f"{reach.measured_shares} of your {reach.total_shares} shares {reach.window.during} have reach "
             f"numbers; together they drew {reach.interactions:,} interactions (reposts, likes, replies and "
             "quotes)."]
    stated = [row for row in reach.by_label if row.group != NOT_STATED and row.interaction_part is not None]
    for row in stated[:3]:
        words.append(f"Voices who describe themselves as {row.group} had {percent(row.share_part)} of these shares "
                     f"and drew {percent(row.interaction_part)} of the interactions.")
    if reach.deleted:
        words.append(f"{reach.deleted} of your posts were deleted later; their last numbers count.")
    return " ".join(words)


def reach_rows(rows: Sequence[GroupReach]) -> list[tuple[str, str, str, str, str]]:
    """A table's rows: group, shares, interactions, part of shares, part of interactions."""
    return [(row.group, f"{row.shares:,}", f"{row.interactions:,}", percent(row.share_part),
             percent(row.interaction_part)) for row in rows]


REACH_HEADERS = ("Shares with numbers", "Interactions", "Part of these shares", "Part of the interactions")
NETWORK_HEADERS = ("Network", "Shares with numbers", "Interactions", "Interactions per share")


def network_rows(rows: Sequence[NetworkReach]) -> list[tuple[str, str, str, str]]:
    return [(row.network, f"{row.shares:,}", f"{row.interactions:,}",
             "–" if row.per_share is None else f"{row.per_share:.1f}") for row in rows]


REACH_CAPTION = (
    "Interactions are a post's reposts, likes, replies and quotes together, as last read (or typed by you). Each "
    "part is of your shares with numbers, and of their interactions, set side by side."
)


def _reach_sections(reach: ReachAudit) -> list[Section]:
    """Reach by self-described group, by voice and by network; one sentence when no share has numbers yet."""
    if not reach.measured_shares:
        return [Section("Reach by voice", [reach_summary(reach)])]
    return [
        Section("Reach by voice", [reach_summary(reach), REACH_CAPTION],
                Table(("Self-described group", *REACH_HEADERS), reach_rows(reach.by_label))),
        Section("Reach of each voice", [], Table(("Voice", *REACH_HEADERS), reach_rows(reach.by_voice))),
        Section("Interactions per share, by network", [], Table(NETWORK_HEADERS, network_rows(reach.by_network))),
    ]


def monthly_report(store: Store, month: str, now: datetime, goals: Goals | None = None) -> Report:
    """The report for a calendar month `YYYY-MM`, with its reach by voice."""
    audit = run_audit(store, calendar_month(month), now)
    return build_report(audit, goals, run_reach_audit(store, audit))
