"""Queries behind the voice audit: shares joined with what sources say of themselves, at query time.

Shares never copy identity labels: the audit joins `sources` when it asks, so a forgotten source's shares fall
under "not stated" from then on. Retracted shares (a `share_retracted` event naming the share) are left out.
Windows are half-open, `start <= t < end`, on the stored UTC ISO text (text order is time order).
"""

from amplify.store.base import StoreBase, honour_redaction, json_object, json_value, not_retracted, redacted_at
from amplify.types import AuditShare, AuditSource, CheckFlags, RefusedAttempt, SharedChecklist, ShareExport

REFUSAL_EVENT = "share_refused"

_NOT_RETRACTED = not_retracted("s")


def _window_clause(column: str, start: str | None, end: str) -> tuple[str, list[str]]:
    if start is None:
        return f"{column} < ?", [end]
    return f"{column} >= ? AND {column} < ?", [start, end]


class AuditQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    def audit_sources(self, start: str | None, end: str) -> list[AuditSource]:
        """Every source, with its last counted share before `end` and its items in the window (`sort_at`)."""
        items_clause, params = _window_clause("i.sort_at", start, end)
        rows = self.rows(
            f"""
            SELECT src.id, src.name, src.kind, src.tags, src.identity_labels, src.identity_source,
                   src.followed, src.forgotten,
                   (SELECT max(s.shared_at) FROM shares s
                     WHERE s.source_id = src.id AND s.shared_at < ? AND {_NOT_RETRACTED}) AS last_shared_at,
                   (SELECT count(*) FROM items i
                     WHERE i.source_id = src.id AND {items_clause}) AS items_in_window,
                   (SELECT max(i.sort_at) FROM items i
                     WHERE i.source_id = src.id AND {items_clause}) AS latest_item_at
            FROM sources src
            ORDER BY src.id
            """,
            [end, *params, *params],
        )
        return [
            AuditSource(
                id=row["id"],
                name=row["name"],
                kind=row["kind"],
                tags=tuple(json_value(row["tags"], [])),
                identity_labels=tuple(json_value(row["identity_labels"], [])),
                identity_source=row["identity_source"],
                followed=bool(row["followed"]),
                forgotten=bool(row["forgotten"]),
                last_shared_at=row["last_shared_at"],
                items_in_window=row["items_in_window"],
                latest_item_at=row["latest_item_at"],
            )
            for row in rows
        ]

    def audit_shares(self, start: str | None, end: str) -> list[AuditShare]:
        """The counted shares in the window, oldest first."""
        clause, params = _window_clause("s.shared_at", start, end)
        cursor = self.execute(
            f"SELECT s.id, s.source_id, s.shared_at FROM shares s"
            f" WHERE {clause} AND {_NOT_RETRACTED} ORDER BY s.shared_at",
            params,
        )
        return [AuditShare(*row) for row in cursor]

    def checklist_flags(self, start: str | None, end: str) -> list[CheckFlags]:
        """Per check, the counted shares in the window whose snapshot has it not passed."""
        clause, params = _window_clause("s.shared_at", start, end)
        cursor = self.execute(
            f"""
            SELECT f.check_id, max(f.label), count(*) FROM share_flags f JOIN shares s ON s.id = f.share_id
            WHERE {clause} AND {_NOT_RETRACTED} GROUP BY f.check_id ORDER BY f.check_id
            """,
            params,
        )
        return [CheckFlags(*row) for row in cursor]

    def latest_checklist(self, start: str | None, end: str) -> SharedChecklist | None:
        """The snapshot of the newest counted share in the window (which checks there are, their labels); None
        when the window has no counted share."""
        clause, params = _window_clause("s.shared_at", start, end)
        found = self.row(
            f"SELECT s.id, s.shared_at, s.checklist FROM shares s WHERE {clause} AND {_NOT_RETRACTED}"
            " ORDER BY s.shared_at DESC, s.id DESC LIMIT 1",
            params,
        )
        if found is None:
            return None
        return SharedChecklist(found["id"], found["shared_at"], json_object(found["checklist"]))

    def refused_attempts(self, start: str | None, end: str) -> list[RefusedAttempt]:
        """Share attempts the gate refused in the window."""
        clause, params = _window_clause("at", start, end)
        cursor = self.execute(
            f"SELECT id, at, detail FROM events WHERE kind = '{REFUSAL_EVENT}' AND {clause} ORDER BY id",
            params,
        )
        return [RefusedAttempt(event_id, at, json_object(detail)) for event_id, at, detail in cursor]

    def remembered_source_names(self) -> list[str]:
        """Names of the sources not yet forgotten (followed or not), for choosing one to forget."""
        return [
            row[0]
            for row in self.execute(
                "SELECT name FROM sources WHERE forgotten = 0 ORDER BY name COLLATE NOCASE"
            )
        ]

    def shares_for_export(self) -> list[ShareExport]:
        """Every share ever recorded, retracted ones included and marked, with its source and item; a redacted
        one's words replaced (`redacted_at` says when)."""
        return [ShareExport(**honour_redaction(row), redacted=int(bool(row["redacted_at"]))) for row in self.rows(
            f"""
            SELECT s.id AS share_id, s.shared_at, s.network, src.name AS source, src.kind AS source_kind,
                   i.title AS item_title, i.url AS item_url, s.post_url, s.text,
                   CASE WHEN {_NOT_RETRACTED} THEN 0 ELSE 1 END AS retracted, {redacted_at("s")}
            FROM shares s
            JOIN sources src ON src.id = s.source_id
            JOIN items i ON i.id = s.item_id
            ORDER BY s.shared_at, s.id
            """
        )]

