"""Queries for the share gate: link probes, attestations, the append-only share log and retractions.

The rules (which checks block, which attestations a share needs) live in `amplify.checklist`; this module
only stores and reads. `record_share` still refuses a snapshot that says a blocking check failed or an
attestation is missing, a post the user never confirmed in `attestations`, and a text that is not the draft's
current one: a second lock on the same door, so a caller that skips the gate cannot write a share the user did
not confirm.

`shares` and `events` are append-only in the database itself (triggers abort UPDATE and DELETE). A share is
retracted by appending a `share_retracted` event; the row stays, and `shares(include_retracted=False)` hides
it.
"""

import json
import sqlite3
from dataclasses import replace
from typing import Any

from amplify.attestations import ATTESTATION_IDS, required_attestation_ids
from amplify.errors import AmplifyError
from amplify.store.base import (
    RETRACTION_EVENT,
    StoreBase,
    StoreError,
    honour_redaction,
    not_retracted,
    redacted_at,
    with_json,
)
from amplify.store.schema import CHAINED_SCHEMA, SHARE_HASHED_COLUMNS, share_hash
from amplify.types import Attestation, ChainBreak, LinkProbe, LinkProbeRecord, Share, ShareSubject

_SHARE_COLUMNS = f"""
    sh.id, sh.draft_id, sh.item_id, sh.source_id, sh.network, sh.text, sh.post_url, sh.shared_at,
    sh.checklist,
    i.title AS item_title, i.url AS item_url, s.name AS source_name, s.kind AS source_kind,
    r.at AS retracted_at, json_extract(r.detail, '$.reason') AS retraction_reason, {redacted_at("sh")}
"""
# The first retraction of each share (retracting twice is refused, so there is at most one).
_RETRACTION_JOIN = f"""
    LEFT JOIN events r ON r.id = (
        SELECT MIN(id) FROM events WHERE kind = '{RETRACTION_EVENT}' AND share_id = sh.id
    )
"""
_SHARE_JOIN = f"shares sh JOIN items i ON i.id = sh.item_id JOIN sources s ON s.id = sh.source_id {_RETRACTION_JOIN}"
# A share (as `sh`) that has not been retracted.
ACTIVE_SHARE = not_retracted("sh")


def _text_as_written(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class ShareStoreError(AmplifyError, ValueError):
    """A share-log action that cannot be done; the message says why and what to do instead."""


class ShareQueries(StoreBase):
    """Mixed into Store; see amplify.store."""

    # -- link probes -----------------------------------------------------------------------------------------

    def save_link_probe(self, probe: LinkProbe) -> None:
        """Keep the latest probe of a link (one row per URL), and note it in the event log."""
        with self.transaction():
            self.execute(
                "INSERT INTO link_probes (url, ok, status, final_url, redirects, error, checked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET ok = excluded.ok,"
                " status = excluded.status, final_url = excluded.final_url, redirects = excluded.redirects,"
                " error = excluded.error, checked_at = excluded.checked_at",
                (
                    probe.url,
                    int(probe.ok),
                    probe.status,
                    probe.final_url,
                    probe.redirects,
                    probe.error,
                    self.now(),
                ),
            )
            self.log_event(
                "link_probed",
                url=probe.url,
                ok=probe.ok,
                status=probe.status,
                final_url=probe.final_url,
                error=probe.error,
            )

    def link_probe(self, url: str) -> LinkProbeRecord | None:
        """The latest probe of `url`; None if never."""
        found = self.row(
            "SELECT url, ok, status, final_url, redirects, error, checked_at FROM link_probes WHERE url = ?",
            (url,),
        )
        return LinkProbeRecord(**{**found, "ok": bool(found["ok"])}) if found is not None else None

    # -- attestations ----------------------------------------------------------------------------------------

    def attest(self, draft_id: int, network: str, check_id: str, text_version: int) -> None:
        """Record that the user confirmed `check_id` for this exact version of the post's text.

        Refused when the text has changed since (another tab, a save in between): the user confirmed words
        that are no longer the post. Confirming twice is harmless."""
        if check_id not in ATTESTATION_IDS:
            raise ShareStoreError(
                f"unknown attestation {check_id!r}; use one of {', '.join(ATTESTATION_IDS)}"
            )
        with self.transaction():
            post = self._open_post(draft_id, network)
            if int(post["version"]) != text_version:
                raise ShareStoreError(
                    f"the {network} text changed since it was shown (now version {post['version']}, not "
                    f"{text_version}); read it again and confirm again"
                )
            inserted = self.execute(
                "INSERT OR IGNORE INTO attestations (draft_id, network, check_id, text_version, attested_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (draft_id, network, check_id, text_version, self.now()),
            ).rowcount
            if inserted:
                self.log_event(
                    "attested",
                    item_id=post["item_id"],
                    draft_id=draft_id,
                    network=network,
                    check=check_id,
                    text_version=text_version,
                )

    def withdraw_attestation(self, draft_id: int, network: str, check_id: str) -> None:
        """Take back a confirmation (for every version of the text): the gate then asks for it again."""
        with self.transaction():
            post = self._open_post(draft_id, network)
            removed = self.execute(
                "DELETE FROM attestations WHERE draft_id = ? AND network = ? AND check_id = ?",
                (draft_id, network, check_id),
            ).rowcount
            if removed:
                self.log_event(
                    "attestation_withdrawn",
                    item_id=post["item_id"],
                    draft_id=draft_id,
                    network=network,
                    check=check_id,
                )

    def attestations(self, draft_id: int, network: str) -> list[Attestation]:
        """Every confirmation given for this post, oldest first."""
        return [Attestation(**row) for row in self.rows(
            "SELECT check_id, text_version, attested_at FROM attestations WHERE draft_id = ? AND network = ?"
            " ORDER BY id",
            (draft_id, network),
        )]

    # -- what the gate reads ---------------------------------------------------------------------------------

    def share_subject(self, draft_id: int, network: str) -> ShareSubject | None:
        """The draft, its post for `network`, its item and its source in one record (None when there is no such
        post), with its source's feed URLs and the networks the draft has an active share on."""
        found = with_json(self.row(
            f"""
            SELECT d.id AS draft_id, d.state AS draft_state, d.alt_text,
                p.network, p.text, p.version AS text_version,
                i.id AS item_id, i.url AS item_url, i.title AS item_title,
                i.published_at AS item_published_at,
                i.image_url AS item_image_url,
                s.id AS source_id, s.name AS source_name, s.url AS source_url, s.handles AS source_handles,
                s.domains AS source_domains, s.credit AS source_credit,
                (SELECT json_group_array(f.url) FROM feeds f WHERE f.source_id = s.id) AS feed_urls,
                (SELECT json_group_array(DISTINCT sh.network) FROM shares sh WHERE sh.draft_id = d.id
                    AND {ACTIVE_SHARE}) AS shared_networks
            FROM drafts d
            JOIN draft_posts p ON p.draft_id = d.id AND p.network = ?
            JOIN items i ON i.id = d.item_id
            JOIN sources s ON s.id = i.source_id
            WHERE d.id = ?
            """,
            (network, draft_id),
        ), source_handles={}, source_domains=[], feed_urls=[], shared_networks=[])
        if found is None:
            return None
        return ShareSubject(**{**found, **{column: tuple(found[column])
                                           for column in ("source_domains", "feed_urls", "shared_networks")}})

    # -- the share log ---------------------------------------------------------------------------------------

    def record_share(
        self,
        draft_id: int,
        network: str,
        *,
        text_version: int,
        post_url: str | None,
        checklist: dict[str, Any],
    ) -> int:
        """Append a share of the draft's current `network` text; returns the share's id. Call it through
        `amplify.checklist.mark_shared`, which computes `checklist`.

        The item becomes `shared`; the draft becomes `shared` once every one of its networks has an active
        share (until then it stays in the queue for the others). In four steps, in one transaction: the gate
        checked again, the row built, appended to the hash chain, and the draft finished."""
        _refuse_refused_snapshot(checklist)
        with self.transaction():
            subject = self._recheck_gate(draft_id, network, text_version)
            return self._share(subject, network, post_url, checklist, text_version)

    def record_posted_share(self, draft_id: int, network: str, *, text_version: int, text: str,
                            post_url: str | None, checklist: dict[str, Any], gate_passed_at: str) -> int:
        """Append the share of a post that is out on the network (amplify.posting): its words and text version
        are the ones its attempt sent after passing the gate at `gate_passed_at` (`checklist` is that gate's
        snapshot), so what changes with time (the draft's words since, its state) is not asked again. A snapshot
        that did not pass, a confirmation the user never gave, and a second share on the network are still
        refused."""
        _refuse_refused_snapshot(checklist)
        with self.transaction():
            subject = self._recheck_gate(draft_id, network, text_version, posted=True)
            return self._share(replace(subject, text=text), network, post_url, checklist, text_version,
                               gate_passed_at=gate_passed_at)

    def _share(self, subject: ShareSubject, network: str, post_url: str | None, checklist: dict[str, Any],
               text_version: int, **detail: Any) -> int:
        """The share row built from `subject`, appended to the hash chain, and the draft finished."""
        row = _share_row(subject, network, post_url, checklist, shared_at=self.now())
        share_id = self._append_share(**row)
        self._finish_draft(row, share_id, text_version, **detail)
        return share_id

    def _recheck_gate(self, draft_id: int, network: str, text_version: int, *, posted: bool = False) -> ShareSubject:
        """The share subject, when the post may be shared now: open, at the checked text version, not shared on
        this network yet, and with every attestation the user gave. Else ShareStoreError says which. A post
        already `posted` (its words fixed by its attempt) needs only the last two."""
        subject = self.share_subject(draft_id, network)
        if subject is None or (subject.draft_state != "open" and not posted):
            raise ShareStoreError(f"draft {draft_id} has no open {network} post to share")
        if subject.text_version != text_version and not posted:
            raise ShareStoreError(f"the {network} text changed while it was checked; check it again")
        if network in subject.shared_networks:
            raise ShareStoreError(f"draft {draft_id} is already shared on {network}")
        unconfirmed = self._unconfirmed(draft_id, network, text_version, subject.source_credit)
        if unconfirmed:
            raise ShareStoreError(
                f"not recording a share the user has not confirmed ({', '.join(unconfirmed)})"
            )
        return subject

    def _finish_draft(self, row: dict[str, Any], share_id: int, text_version: int, **detail: Any) -> None:
        """The item becomes shared; the draft too, once every one of its networks has an active share. The share
        goes into the event log (with `detail`)."""
        draft_id, item_id, now = row["draft_id"], row["item_id"], row["shared_at"]
        self.execute(
            "UPDATE items SET state = 'shared', state_changed_at = ? WHERE id = ? AND state != 'shared'",
            (now, item_id),
        )
        if self.every_network_shared(draft_id):
            self.execute(
                "UPDATE drafts SET state = 'shared', updated_at = ? WHERE id = ?", (now, draft_id)
            )
        self.log_event(
            "share_recorded",
            source_id=row["source_id"],
            item_id=item_id,
            draft_id=draft_id,
            share_id=share_id,
            network=row["network"],
            text_version=text_version,
            post_url=row["post_url"],
            **detail,
        )

    def _append_share(self, **columns: Any) -> int:
        """Append one row to the hash chain of `shares` (inside the caller's transaction); returns its id. Only
        `record_share`, after the gate, calls it (and test fixtures that build a share log)."""
        last = self.row("SELECT id, row_hash FROM shares ORDER BY id DESC LIMIT 1")
        row = {"id": (last["id"] if last else 0) + 1, **columns}
        previous = last["row_hash"] if last else None
        self.execute(
            f"INSERT INTO shares ({', '.join(SHARE_HASHED_COLUMNS)}, prev_hash, row_hash)"
            f" VALUES ({', '.join('?' for _ in SHARE_HASHED_COLUMNS)}, ?, ?)",
            (*(row[column] for column in SHARE_HASHED_COLUMNS), previous, share_hash(previous, row)),
        )
        return int(row["id"])

    def verify_share_log(self) -> ChainBreak | None:
        """Walk the hash chain of `shares`, oldest first: the first share whose stored hashes do not match what
        it holds and what came before it (a share changed, replaced, removed or slipped in), or None when every
        row matches, every `share_recorded` event still has its row and every share its item, source and draft.
        Raises StoreError when the table itself was changed (a column renamed)."""
        if self.schema_version < CHAINED_SCHEMA:
            raise StoreError(f"{self.path} has no hash chain yet: open it once with write access to add it")
        previous: str | None = None
        next_id: int | None = None
        # Text another program wrote that is not UTF-8 is read byte for byte (and so does not match its hash).
        self.conn.text_factory = _text_as_written
        try:
            with self._plain_errors():
                for row in self.conn.execute(
                    f"SELECT {', '.join(SHARE_HASHED_COLUMNS)}, prev_hash, row_hash FROM shares ORDER BY id"
                ):
                    share_id = int(row["id"])
                    if row["prev_hash"] != previous:
                        if next_id is not None and share_id != next_id:
                            return ChainBreak(next_id, "it was removed: the share after it no longer follows on")
                        return ChainBreak(share_id, "it does not follow on from the share before it, which was "
                                                    "changed, replaced or removed")
                    if row["row_hash"] != share_hash(previous, row):
                        return ChainBreak(share_id, "what it holds does not match its hash: it was changed")
                    previous, next_id = row["row_hash"], share_id + 1
        except sqlite3.OperationalError as error:  # a column renamed or dropped
            raise StoreError(
                f"{self.path}: the shares table was changed outside amplify ({error}), so its log cannot be "
                "checked. Put back a backup (see \"Backups and a damaged file\" in docs/database.md)."
            ) from error
        finally:
            self.conn.text_factory = str
        gone = self.scalar(
            "SELECT min(share_id) FROM events WHERE kind = 'share_recorded' AND share_id IS NOT NULL"
            " AND share_id NOT IN (SELECT id FROM shares)"
        )
        if gone is not None:
            return ChainBreak(int(gone), "it was recorded (its share_recorded event says so) but its row is gone")
        # Another program checks no foreign keys unless asked: a share's item, source or draft removed there hides
        # the share from History and the export, which read it with them.
        orphans = self.rows("PRAGMA foreign_key_check(shares)")
        if orphans:
            first = min(orphans, key=lambda orphan: orphan["rowid"])
            what = {"items": "item", "sources": "source", "drafts": "draft"}.get(first["parent"], first["parent"])
            return ChainBreak(int(first["rowid"]), f"its {what} was removed outside amplify, so History and the "
                                                   "export no longer show it")
        return None

    def shares(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        source_id: int | None = None,
        network: str | None = None,
        include_retracted: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Share]:
        """Shares, newest first, with item title and URL, source name and kind, `checklist` (JSON text),
        `retracted_at` and `retraction_reason` (NULL while active), and `redacted_at` (a redacted share's `text`
        and check details read as redacted). `since` is inclusive, `until` exclusive (UTC ISO text). `limit` and
        `offset` read one page of them; `share_counts` says how many there are."""
        where, params = _share_filter(
            since=since, until=until, source_id=source_id, network=network, include_retracted=include_retracted
        )
        page = "" if limit is None else f"LIMIT {int(limit)} OFFSET {int(offset)}"
        return [Share(**honour_redaction(row)) for row in self.rows(
            f"SELECT {_SHARE_COLUMNS} FROM {_SHARE_JOIN} {where} ORDER BY sh.shared_at DESC, sh.id DESC {page}",
            params,
        )]

    def share_counts(self, **filters: Any) -> tuple[int, int]:
        """How many shares `shares` would list with the same filters (`since`, `until`, `source_id`, `network`,
        `include_retracted`), and how many of them are retracted."""
        where, params = _share_filter(**filters)
        counted = self.row(
            f"SELECT COUNT(*) AS shares, COUNT(r.id) AS retracted FROM shares sh {_RETRACTION_JOIN} {where}",
            params,
        )
        assert counted is not None  # an aggregate always has its row
        return int(counted["shares"]), int(counted["retracted"])

    def retract_share(self, share_id: int, reason: str) -> None:
        """Mark a share as taken back (deleted post, mistake) by appending a `share_retracted` event. The
        share row stays: the log is the user's own record, and audits leave retracted shares out."""
        reason = reason.strip()
        if not reason:
            raise ShareStoreError("say in a few words why the share is retracted (it stays in your history)")
        with self.transaction():
            share = self.row("SELECT id, draft_id, item_id, source_id FROM shares WHERE id = ?", (share_id,))
            if share is None:
                raise ShareStoreError(f"share {share_id} does not exist; reload the History page")
            if self.is_retracted(share_id):
                raise ShareStoreError(f"share {share_id} is already retracted")
            self.log_event(
                RETRACTION_EVENT,
                source_id=share["source_id"],
                item_id=share["item_id"],
                draft_id=share["draft_id"],
                share_id=share_id,
                reason=reason,
            )

    def is_retracted(self, share_id: int) -> bool:
        return bool(
            self.scalar(
                f"SELECT 1 FROM events WHERE kind = '{RETRACTION_EVENT}' AND share_id = ? LIMIT 1", (share_id,)
            )
        )

    # -- helpers ---------------------------------------------------------------------------------------------

    def _unconfirmed(self, draft_id: int, network: str, text_version: int, credit: str) -> list[str]:
        """The confirmations a share needs that the user never gave for this post (at any version up to
        `text_version`): checked here too, so a snapshot made up by a caller cannot stand in for the user."""
        given = {
            row.check_id for row in self.attestations(draft_id, network) if row.text_version <= text_version
        }
        return [check_id for check_id in required_attestation_ids(credit) if check_id not in given]

    def _open_post(self, draft_id: int, network: str) -> dict[str, Any]:
        post = self.row(
            "SELECT d.item_id, d.state, p.version FROM drafts d"
            " JOIN draft_posts p ON p.draft_id = d.id AND p.network = ? WHERE d.id = ?",
            (network, draft_id),
        )
        if post is None:
            raise ShareStoreError(f"draft {draft_id} has no {network} post; reload the Queue page")
        if post["state"] != "open":
            raise ShareStoreError(f"draft {draft_id} is already {post['state']}; it can no longer be changed")
        return post


def _share_filter(
    *,
    since: str | None = None,
    until: str | None = None,
    source_id: int | None = None,
    network: str | None = None,
    include_retracted: bool = True,
) -> tuple[str, list[Any]]:
    """The WHERE clause and its parameters for `shares` and `share_counts`."""
    conditions, params = [], []
    for condition, value in (
        ("sh.shared_at >= ?", since),
        ("sh.shared_at < ?", until),
        ("sh.source_id = ?", source_id),
        ("sh.network = ?", network),
    ):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    if not include_retracted:
        conditions.append("r.id IS NULL")
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


def _share_row(subject: ShareSubject, network: str, post_url: str | None, checklist: dict[str, Any], *,
               shared_at: str) -> dict[str, Any]:
    """The columns of a new share (all but its id and hashes), from the subject the gate passed."""
    return {
        "draft_id": subject.draft_id,
        "item_id": subject.item_id,
        "source_id": subject.source_id,
        "network": network,
        "text": subject.text,
        "post_url": post_url,
        "shared_at": shared_at,
        "checklist": json.dumps(checklist, sort_keys=True, ensure_ascii=False),
    }


def _refuse_refused_snapshot(checklist: dict[str, Any]) -> None:
    """ShareStoreError when the checklist snapshot says a blocking check failed or an attestation is missing (or
    has no checks at all): the store's own lock on the door the gate already keeps."""
    failed = [
        result["id"]
        for result in checklist.get("checks", [])
        if result.get("severity") == "blocking" and not result.get("passed")
    ]
    if failed or checklist.get("missing_attestations") or "checks" not in checklist:
        raise ShareStoreError(
            f"not recording a share the checklist refused ({', '.join(failed) or 'missing'})"
        )
