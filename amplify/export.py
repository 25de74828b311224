"""The export of the share log (`amplify export shares`, the Audit page's downloads), as CSV or JSON, with each
share's latest reach numbers; and the one way amplify writes CSV."""

import csv
import io
import json
from collections.abc import Iterable

from amplify.report import ReportError
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
# Each share's latest reach numbers (empty when it has none): see docs/audit.md.
REACH_COLUMNS = ("reposts", "likes", "replies", "quotes", "reach_taken_at", "reach_source", "post_deleted")


def export_shares(store: Store, fmt: str) -> str:
    """Every share ever recorded (retracted ones marked), with its latest reach numbers, as CSV or JSON; no identity
    labels, by design."""
    if fmt not in ("json", "csv"):
        raise ReportError(f"unknown export format {fmt!r}: use csv or json")
    latest = store.latest_reach()
    columns = EXPORT_COLUMNS + REACH_COLUMNS
    records = []
    for row in store.shares_for_export():
        snapshot = latest.get(row.share_id)
        reach = (snapshot.reposts, snapshot.likes, snapshot.replies, snapshot.quotes, snapshot.taken_at,
                 snapshot.source, int(snapshot.deleted)) if snapshot else (None,) * len(REACH_COLUMNS)
        records.append([*(getattr(row, column) for column in EXPORT_COLUMNS), *reach])
    if fmt == "json":
        return json.dumps([dict(zip(columns, record, strict=True)) for record in records], indent=2,
                          ensure_ascii=False) + "\n"
    return csv_text(columns, records)


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
