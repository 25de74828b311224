"""Sources: whom the user follows, how their feeds are doing, and adding, editing or unfollowing them.

feeds.yml is the truth for whom the user follows: every change here is written back to it (keeping the user's
comments and order) and then synced into the database. Unfollowing never deletes posts, drafts or shares.

Widget keys: `add_url`, `add_name`, `add_kind`, `add_tags`, `add_submit`; the import from Mastodon or Bluesky
(amplify/ui/follow_import.py); `glance` (the follow list at a glance, a filter into the table); `sources_table`;
`edit_source`
(which source to edit), then per source id `edit_kind_{id}`, `edit_credit_{id}`, `edit_tags_{id}`,
`edit_handle_{network}_{id}`, `edit_labels_{id}`, `edit_statement_{id}`, `edit_save_{id}`, `unfollow_{id}`.
"""

from datetime import datetime
from typing import Any

import streamlit as st

from amplify import networks
from amplify.discover import discover_feed
from amplify.display import isolated, without_direction_controls
from amplify.errors import AmplifyError
from amplify.follow.edit import add_source, remove_source, update_source
from amplify.follow.load import load_follow_list
from amplify.glance import Group, glance, groups, matches
from amplify.store import Store
from amplify.types import CREDIT_PREFERENCES, KINDS, FollowList, Source, SourceHealth
from amplify.ui import components, context, follow_import

NOTICE_KEY = "sources_notice"
CREDIT_LABELS = {
    "tag": "Mention their handle",
    "name": "Name them, no mention",
    "ask": "Ask them first",
}


def render() -> None:
    store = context.store()
    state = context.follow_list()
    st.title("Sources")
    where = components.escape_markdown(str(context.feeds_path()))
    st.caption(f"Whom you follow, from {where}. Changes here are written to that file, keeping your comments "
               "and order.")
    _show_notice()
    components.follow_list_problems(state, consequence="so it cannot be shown or changed here")
    if state.error:
        return
    if state.follow_list.sources or not state.missing:
        # The file decides whom the user follows; keep the database's copy in step before showing health.
        store.sync_sources(state.follow_list)
    if _add_form(store, state.follow_list, empty=not state.follow_list.sources):
        state = context.follow_list()  # the file just changed
    state = context.follow_list()  # an import may have written the file
    if not state.follow_list.sources:
        return
    health = {row.name: row for row in store.source_health()}
    shown = _glance(state.follow_list.sources, store)
    _table(shown, health, store.clock(), total=len(state.follow_list.sources))
    _editor(state.follow_list.sources, health)


def _show_notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        kind, message = notice
        (st.success if kind == "ok" else st.error)(components.escape_markdown(message))


def _resync(store: Store) -> None:
    """After writing feeds.yml: read it back and bring the database in step."""
    store.sync_sources(load_follow_list(context.feeds_path()))


# -- adding ----------------------------------------------------------------------------------------------


def _add_form(store: Store, follow_list: FollowList, *, empty: bool) -> bool:
    """"Follow someone new": by their site or feed, or from a Mastodon or Bluesky follow list; True when a source
    was added by its site."""
    with st.expander("Follow someone new", expanded=empty or follow_import.JOB_KEY in st.session_state,
                     icon=":material/add:"):
        by_site, by_network = st.tabs(["Their site or feed", "From Mastodon or Bluesky"])
        with by_network:
            follow_import.render(store, follow_list)
        with by_site:
            return _site_form(store)


def _site_form(store: Store) -> bool:
    with st.form("add_source_form", clear_on_submit=False, border=False):
        url = st.text_input("Their homepage or feed address", key="add_url",
                            placeholder="https://adasbakery.example")
        name = st.text_input("Name (optional: taken from their feed)", key="add_name")
        kind = st.selectbox("They are a", KINDS, key="add_kind")
        tags = st.text_input("Tags (optional, separated by commas)", key="add_tags")
        if not st.form_submit_button("Find their feed and follow", key="add_submit", type="primary"):
            return False
    with st.spinner("Looking for their feed…"):
        try:
            found = discover_feed(url, limits=context.fetch_limits())
            added = add_source(context.feeds_path(), Source(
                name=(name or "").strip() or found.title or found.feed_url,
                feeds=(found.feed_url,), url=found.homepage, kind=kind, tags=_split(tags),
            ))
            _resync(store)
        except AmplifyError as error:
            st.error(components.escape_markdown(str(error)))
            return False
    st.success(f"Now following {components.escape_markdown(isolated(added.name))}. Press Refresh on Today to fetch "
               "their posts.")
    return True


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


# -- the table ---------------------------------------------------------------------------------------------


def _glance(sources: tuple[Source, ...], store: Store) -> tuple[Source, ...]:
    """Your follow list at a glance, each count a filter into the table; returns the sources the table shows."""
    activity = store.source_activity()
    shape = glance(sources, activity, store.clock())
    choices = groups(shape)
    st.subheader("Your follow list at a glance")
    st.caption("How many sources by kind and by what they say of themselves, how many posted lately and who has "
               "been quiet. Choose one to see those sources below.")
    chosen: Group | None = st.pills("Show in the table", choices, format_func=lambda group: group.label,
                                    key="glance", label_visibility="collapsed")
    if chosen is None:
        return sources
    wanted = matches(chosen, shape)
    return tuple(source for source in sources if wanted(source))


def _table(sources: tuple[Source, ...], health: dict[str, SourceHealth], now: datetime, *, total: int) -> None:
    rows = []
    for source in sources:
        row = health.get(source.name)
        # Link cells, not markdown: the follow list admits only http(s) URLs here (urls.is_http_url), so they go
        # in without their direction controls alone (checking 5,000 of them again each run cost a tenth of the
        # page's time).
        statement = without_direction_controls(source.identity_source) or None if source.identity_labels else None
        # Health first (the columns a narrow window shows), then what the user wrote about them.
        rows.append({
            "Name": source.name,
            "Last fetched": components.relative_time(row.last_fetched_at, now)
            if row and row.last_fetched_at else "not yet",
            "Problem": (row and row.last_error) or "",
            "Posts": row.item_count if row else 0,
            "Last shared": components.relative_time(row.last_shared_at, now)
            if row and row.last_shared_at else "never",
            # Labels are what a source says of itself, so they are shown only beside where it said so.
            "Self-described": ", ".join(source.identity_labels) if statement else "",
            "Where they said it": statement,
            "Kind": source.kind,
            "Tags": ", ".join(source.tags),
            "Status": row.last_status if row else None,
            "Homepage": without_direction_controls(source.url) or None,
        })
    failing = sum(1 for row in rows if row["Problem"])
    shown = f"{len(rows):,} of your {total:,}" if len(rows) != total else f"Your {total:,}"
    st.subheader(f"{shown} {'source' if total == 1 else 'sources'}")
    if failing:
        st.caption(f"{failing} with a feed problem: see the Problem column. Sources with problems are tried "
                   "again later by themselves.")
    # A dataframe shows every cell as plain text: feed errors and names cannot inject markup.
    st.dataframe(rows, key="sources_table", hide_index=True, column_config={
        "Homepage": st.column_config.LinkColumn("Homepage"),
        "Where they said it": st.column_config.LinkColumn("Where they said it"),
        "Status": st.column_config.NumberColumn("Status", format="%d"),
    })


# -- editing ------------------------------------------------------------------------------------------------


def _editor(sources: tuple[Source, ...], health: dict[str, SourceHealth]) -> None:
    st.subheader("Edit a source")
    names = [source.name for source in sources]
    chosen = st.selectbox("Source", names, key="edit_source", index=None, placeholder="Choose a source")
    source = next((candidate for candidate in sources if candidate.name == chosen), None)
    if source is None or source.name not in health:
        return
    source_id = health[source.name].id
    if source.identity_labels:
        statement = components.markdown_link("where they said it", source.identity_source)
        st.markdown(f"Self-described as {components.escape_markdown(', '.join(source.identity_labels))} "
                    f"({statement})")
    with st.form(f"edit_form_{source_id}", border=True):
        st.selectbox("They are a", KINDS, index=KINDS.index(source.kind), key=f"edit_kind_{source_id}")
        st.selectbox("How to credit them", CREDIT_PREFERENCES, format_func=CREDIT_LABELS.__getitem__,
                     index=CREDIT_PREFERENCES.index(source.credit), key=f"edit_credit_{source_id}")
        st.text_input("Tags (separated by commas)", ", ".join(source.tags), key=f"edit_tags_{source_id}")
        st.markdown("**Their handles**")
        columns = st.columns(len(networks.IDS))
        for column, network in zip(columns, networks.IDS, strict=True):
            column.text_input(networks.NAMES[network], source.handles.get(network, ""),
                              key=f"edit_handle_{network}_{source_id}")
        st.markdown("**How they describe themselves** (only their own words, never a guess)")
        st.text_input("Labels (separated by commas)", ", ".join(source.identity_labels),
                      key=f"edit_labels_{source_id}")
        st.text_input("The page where they said it (required with labels)", source.identity_source or "",
                      key=f"edit_statement_{source_id}")
        st.form_submit_button("Save", key=f"edit_save_{source_id}", type="primary", on_click=_save,
                              args=(source.name, source_id))
    st.button("Unfollow", key=f"unfollow_{source_id}", on_click=_unfollow, args=(source.name,),
              help="Stop fetching their feeds. Their posts, your drafts and your shares stay.")


def _save(name: str, source_id: int) -> None:
    values = st.session_state
    labels = _split(values[f"edit_labels_{source_id}"])
    statement = (values[f"edit_statement_{source_id}"] or "").strip()
    if labels and not statement:
        st.session_state[NOTICE_KEY] = ("error", "Add the page where they describe themselves in these words "
                                                 "(their About page, say); labels are kept only with it.")
        return
    handles = {network: values[f"edit_handle_{network}_{source_id}"].strip() for network in networks.IDS
               if values[f"edit_handle_{network}_{source_id}"].strip()}
    _write(lambda: update_source(
        context.feeds_path(), name, kind=values[f"edit_kind_{source_id}"],
        credit=values[f"edit_credit_{source_id}"], tags=list(_split(values[f"edit_tags_{source_id}"])),
        handles=handles, identity_labels=list(labels), identity_source=statement or None,
    ), f"Saved {name}.")


def _unfollow(name: str) -> None:
    st.session_state["edit_source"] = None
    _write(lambda: remove_source(context.feeds_path(), name),
           f"Unfollowed {name}. Their posts and your shares stay in your history.")


def _write(change: Any, success: str) -> None:
    try:
        change()
        with context.open_store() as store:
            _resync(store)
    except AmplifyError as error:
        st.session_state[NOTICE_KEY] = ("error", str(error))
        return
    st.session_state[NOTICE_KEY] = ("ok", success)
