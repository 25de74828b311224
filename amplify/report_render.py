"""Writing a built report out: Markdown (escaped, read as plain text too) or a standalone HTML page (everything
escaped, the weekly chart as inline SVG). The content comes from `amplify.report.build_report`."""

import html
from datetime import date

from amplify.audit import WeekShares
from amplify.display import escape_markdown as _escape_any
from amplify.display import isolated
from amplify.report import Report, ReportError, weekly_summary, weekly_table


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
