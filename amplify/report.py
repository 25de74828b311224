"""The monthly amplification report (Markdown or HTML) and the export of the share log (CSV or JSON).

A report is built once as plain data (sections of sentences and tables, every cell a string) from an `Audit`,
then written out: the same numbers as the Audit page, charts as tables. Source names and labels can come from
feeds, so Markdown escapes them and HTML escapes everything.
"""

import csv
import html
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from amplify.audit import (
    Audit,
    Goals,
    GroupShares,
    WeekShares,
    calendar_month,
    goal_progress,
    run_audit,
)
from amplify.display import escape_markdown as _escape_any
from amplify.display import isolated
from amplify.errors import AmplifyError
from amplify.store import Store

EXPORT_COLUMNS = (
    "share_id",
    "shared_at",
    "network",
    "source",
    "source_kind",
    "item_title",
    "item_url",
    "post_url",
    "text",
    "retracted",
    "redacted",
)


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


def build_report(audit: Audit, goals: Goals | None = None) -> Report:
    """The report's content for one audit: headline, goals, sources, groups, weeks, neglected, checklist."""
    sections = [_headline_section(audit)]
    if goals is not None and not goals.empty:
        sections.append(Section("Your goals", [row.sentence for row in goal_progress(audit, goals)]))
    sections.append(_whom_section(audit))
    sections += _group_sections(audit)
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


def monthly_report(store: Store, month: str, now: datetime, goals: Goals | None = None) -> Report:
    """The report for a calendar month `YYYY-MM`."""
    return build_report(run_audit(store, calendar_month(month), now), goals)


# -- writing -------------------------------------------------------------------------------------------------


def escape_markdown(text: str) -> str:
    """Text shown as itself in the Markdown report, which people also read as plain text."""
    return _escape_any(text, readable=True)


def _markdown_row(cells: tuple[str, ...]) -> str:
    # Each cell in its own isolate: read as plain text, a row is one line, and a name's direction controls must
    # not reorder the cells after it.
    return "| " + " | ".join(escape_markdown(isolated(cell)) for cell in cells) + " |"


def render_markdown(report: Report) -> str:
    lines = [f"# {escape_markdown(report.title)}", "", escape_markdown(report.intro), ""]
    for section in report.sections:
        lines += [f"## {escape_markdown(section.title)}", ""]
        for sentence in section.sentences:
            bullet = "- " if section.table is None else ""
            lines.append(bullet + escape_markdown(sentence))
        if section.sentences:
            lines.append("")
        if section.table is not None:
            lines.append(_markdown_row(section.table.headers))
            lines.append("|" + "---|" * len(section.table.headers))
            lines += [_markdown_row(row) for row in section.table.rows]
            lines.append("")
    return "\n".join(lines)


_HTML_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #ccc;padding:.3rem .6rem;"
    "text-align:left}td:not(:first-child){font-variant-numeric:tabular-nums}"
)


def render_html(report: Report) -> str:
    """A standalone HTML page; every piece of text is escaped, nothing from a feed becomes markup."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title><style>{_HTML_STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f"<p>{html.escape(report.intro)}</p>",
    ]
    for section in report.sections:
        out.append(f"<h2>{html.escape(section.title)}</h2>")
        if section.table is None and section.sentences:
            out.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in section.sentences) + "</ul>")
        else:
            out += [f"<p>{html.escape(sentence)}</p>" for sentence in section.sentences]
        if section.weekly_chart:
            out.append(weekly_svg(section.weekly_chart))
        if section.table is not None:
            head = "".join(f"<th>{html.escape(cell)}</th>" for cell in section.table.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                for row in section.table.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


_BAR_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#9d755d")
# Room around the bars for the title, the axes' numbers and names, and the legend.
_LEFT, _TOP, _BOTTOM = 48, 28, 64


def weekly_svg(weekly: list[WeekShares], width: int = 720, height: int = 180) -> str:
    """Shares per week as stacked bars in inline SVG, with a title, both axes named and numbered, a legend, and
    the chart in words (`weekly_summary`) as its description: shapes and escaped text only, no script, no
    links."""
    table = weekly_table(weekly)
    groups = list(table.headers[1:-1])
    tallest = max((int(row[-1]) for row in table.rows), default=0) or 1
    plot_width = width - _LEFT
    slot = min(plot_width / max(len(table.rows), 1), 48.0)  # a few weeks should not make slabs
    base = _TOP + height
    shapes = []
    for index, row in enumerate(table.rows):
        left = _LEFT + index * slot
        top = float(base)
        for group, count in zip(groups, row[1:-1], strict=True):
            bar = int(count) / tallest * height
            if bar:
                top -= bar
                shapes.append(
                    f'<rect x="{left + 1:.1f}" y="{top:.1f}" width="{max(slot - 2, 1):.1f}" '
                    f'height="{bar:.1f}" fill="{_BAR_COLOURS[groups.index(group) % len(_BAR_COLOURS)]}">'
                    f"<title>{html.escape(f'{row[0]}: {group} {count}')}</title></rect>"
                )
        week = date.fromisoformat(row[0])
        shapes.append(f'<text x="{left + slot / 2:.1f}" y="{base + 14}" font-size="11" text-anchor="middle">'
                      f"{week.day} {week:%b}</text>")
    axes = (
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{base}" stroke="#222"/>'
        f'<line x1="{_LEFT}" y1="{base}" x2="{width}" y2="{base}" stroke="#222"/>'
        + "".join(f'<text x="{_LEFT - 6}" y="{base - value / tallest * height + 4:.1f}" font-size="11" '
                  f'text-anchor="end">{value}</text>' for value in sorted({0, tallest}))
        + f'<text transform="translate(14 {_TOP + height / 2:.1f}) rotate(-90)" font-size="12" '
        'text-anchor="middle">Shares</text>'
        f'<text x="{_LEFT + plot_width / 2:.1f}" y="{base + 32}" font-size="12" text-anchor="middle">'
        "Week of (Monday)</text>"
    )
    legend = "".join(
        f'<tspan fill="{_BAR_COLOURS[number % len(_BAR_COLOURS)]}">&#9632;</tspan> {html.escape(group)}  '
        for number, group in enumerate(groups)
    )
    total_height = base + _BOTTOM - 8
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="weekly-title weekly-desc" '
        f'width="{width}" height="{total_height}" viewBox="0 0 {width} {total_height}" fill="#222">'
        f'<title id="weekly-title">Shares per week (up to {tallest} a week)</title>'
        f'<desc id="weekly-desc">{html.escape(weekly_summary(weekly))}</desc>'
        f'<text x="0" y="16" font-size="14" font-weight="bold">Shares per week</text>'
        + axes
        + "".join(shapes)
        + f'<text x="{_LEFT}" y="{base + 50}" font-size="12">{legend}</text></svg>'
    )


def render(report: Report, fmt: str) -> str:
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    raise ReportError(f"unknown report format {fmt!r}: use md or html")


# -- export --------------------------------------------------------------------------------------------------


def export_shares(store: Store, fmt: str) -> str:
    """Every share ever recorded (retracted ones marked), as CSV or JSON; no identity labels, by design."""
    rows = [asdict(row) for row in store.shares_for_export()]  # the export writes plain columns
    if fmt == "json":
        records = [{column: row[column] for column in EXPORT_COLUMNS} for row in rows]
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return csv_text(EXPORT_COLUMNS, ([row[column] for column in EXPORT_COLUMNS] for row in rows))
    raise ReportError(f"unknown export format {fmt!r}: use csv or json")


# A spreadsheet reads a cell that starts with one of these as a formula (or, for tab and carriage return, as the
# start of one once it trims them): a feed's title could run one on the user's computer.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value as it is safe to put in a CSV cell: text that a spreadsheet would read as a formula gets a `'`
    before it (OWASP's advice on CSV injection). Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(headers: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV, header first, every cell through `csv_cell`: the one way amplify writes CSV."""
    buffer = io.StringIO()
    # RFC 4180's CRLF: with a bare "\n" ending rows, the csv module leaves a carriage return inside a cell unquoted,
    # and readers would start a new row there.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(header) for header in headers])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
