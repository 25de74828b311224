"""History: every post the user marked shared, newest first, with the checklist it passed, what it reached
(reach snapshots, or numbers typed by hand), and retraction.

The share log is append-only: retracting a share appends a retraction (with the user's reason) and the share
stays in the list, marked as retracted, so the record stays honest.
"""

import json
from datetime import date, datetime, time
from typing import Any

import streamlit as st

from amplify import compose
from amplify.clock import ANY_TIME, THIS_YEAR, from_iso, period_start, to_iso
from amplify.display import isolated, without_direction_controls
from amplify.paging import clamp_page, page_count, page_start
from amplify.store import Store
from amplify.types import ReachSnapshot, Share
from amplify.ui import composer, context
from amplify.ui.components import escape_markdown, markdown_link, relative_time
from amplify.ui.reach_views import check_reach_button, share_reach

PAGE_SIZE = 25  # a page of cards draws quickly however long the history is
PAGE_KEY = "history_page"
# Periods to look back over instead of a calendar; the last 30 days unless the user picks another.
PERIODS = ("Last 7 days", "Last 30 days", "Last 90 days", THIS_YEAR, ANY_TIME)
DEFAULT_PERIOD = "Last 30 days"
ANY = 0  # the "any source" choice in the source filter


def _network_label(network: str) -> str:
    return compose.NETWORKS[network].label if network in compose.NETWORKS else network


def _retract(share_id: int) -> None:
    reason = st.session_state.get(f"retract_reason_{share_id}") or ""
    composer.write(lambda store: store.retract_share(share_id, reason))


def filters(store: Store, today: date) -> dict[str, Any]:
    """Network, source and period filters; returns the keyword arguments for `Store.shares`."""
    network_column, source_column, period_column = st.columns([1, 2, 1])
    network = network_column.selectbox(
        "Network", [None, *compose.NETWORKS], key="history_network", on_change=_first_page,
        format_func=lambda choice: "All networks" if choice is None else _network_label(choice),
    )
    sources = dict(store.filter_options().sources)
    source_id = source_column.selectbox(
        "Source", [ANY, *sources], key="history_source", on_change=_first_page,
        format_func=lambda choice: "All sources" if choice == ANY else sources[choice],
    )
    period = period_column.selectbox("Shared", PERIODS, index=PERIODS.index(DEFAULT_PERIOD), key="history_period",
                                     on_change=_first_page)
    since = period_start(period, today)
    return {
        "network": network,
        "source_id": source_id or None,
        "since": to_iso(datetime.combine(since, time.min)) if since else None,
    }


def checklist_snapshot(snapshot: dict[str, Any]) -> None:
    """What the checklist said at the moment of sharing, as recorded with the share."""
    for check in snapshot.get("checks", []):
        st.markdown(composer.check_line(check["label"], check["passed"], check["severity"], check.get("detail") or ""))
    probe = snapshot.get("probe")
    if probe:
        status = f"status {probe['status']}"
        outcome = status if probe["ok"] else (probe["error"] or status)
        ending = without_direction_controls(probe["final_url"] or probe["url"])
        checked = _minute(probe["checked_at"])
        st.caption(escape_markdown(f"Link checked {checked}: {outcome}, ending at {ending}"))
    st.caption(escape_markdown(
        f"Checked at {_minute(snapshot.get('checked_at'))}, text version {snapshot.get('text_version')}."
    ))


def _minute(moment: str | None) -> str:
    return f"{moment[:16].replace('T', ' ')} UTC" if moment else "an unknown time"


def share_card(share: Share, now: datetime, snapshots: list[ReachSnapshot] | None = None,
               failure: tuple[str, str] | None = None) -> None:
    share_id = share.id
    with st.container(border=True, key=f"share_{share_id}"):
        creator = escape_markdown(isolated(share.source_name))
        st.markdown(f"**{creator}**: {markdown_link(share.item_title, share.item_url)}")
        when = relative_time(share.shared_at, now)
        st.caption(escape_markdown(f"Shared on {_network_label(share.network)} {when}"))
        if share.post_url:
            st.markdown(markdown_link("Your post", share.post_url))
        # The words as posted, line by line, as escaped text (a preformatted block would scroll sideways
        # where a keyboard cannot reach it).
        st.markdown("  \n".join(escape_markdown(line) for line in share.text.splitlines()))
        if share.retracted_at:
            st.warning(
                f"Retracted {escape_markdown(relative_time(share.retracted_at, now))}: "
                f"{escape_markdown(share.retraction_reason)}. It stays here as part of your record, and "
                "the audit leaves it out."
            )
        with st.expander("The checklist when you shared it"):
            checklist_snapshot(json.loads(share.checklist))
        if not share.retracted_at:
            share_reach(share_id, share.network, share.post_url, snapshots or [], failure)
            with st.expander("Retract this share"):
                st.caption("For a post you deleted or shared by mistake. The share stays in your history, "
                           "marked as retracted.")
                st.text_input("Why, in a few words", key=f"retract_reason_{share_id}")
                st.button("Retract", key=f"retract_{share_id}", on_click=_retract, args=(share_id,))


def render() -> None:
    store = context.store()
    st.title("History")
    composer.show_notice()
    now = store.clock()
    chosen = filters(store, from_iso(store.now()).date())
    total, retracted = store.share_counts(**chosen)
    if not total:
        st.info("No shares match. Posts you mark shared in the Queue appear here, newest first.")
        return
    summary = f"{total} {'share' if total == 1 else 'shares'}"
    if retracted:
        summary += f", {retracted} of them retracted"
    pages = page_count(total, PAGE_SIZE)
    page = clamp_page(st.session_state.get(PAGE_KEY, 1), total, PAGE_SIZE)
    if pages > 1:
        summary += f"; page {page} of {pages}"
    st.caption(summary + ".")
    check_reach_button("history_check_reach")
    shown = store.shares(**chosen, limit=PAGE_SIZE, offset=page_start(page, PAGE_SIZE))
    reach = store.reach_snapshots([share.id for share in shown])
    failures = store.reach_failures([share.id for share in shown])
    for share in shown:
        share_card(share, now, reach[share.id], failures.get(share.id))
    if pages > 1:
        with st.container(horizontal=True):
            st.button("Newer", key="history_page_prev", disabled=page <= 1, on_click=_turn, args=(page - 1,))
            st.button("Older", key="history_page_next", disabled=page >= pages, on_click=_turn, args=(page + 1,))


def _turn(page: int) -> None:
    st.session_state[PAGE_KEY] = page


def _first_page() -> None:
    st.session_state.pop(PAGE_KEY, None)
