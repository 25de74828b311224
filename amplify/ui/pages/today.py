"""Today: what followed sources published, newest first, to queue, skip or save for later.

Widget keys (tests and deep links use them): filters `view`, `search`, `source`, `kind`, `tag`, `label`,
`published` (all also query parameters, so `/?source=Ada's Bakery` opens Today filtered to one source);
`refresh`, `skip_all_shown`, `page_prev`, `page_next`, `clear_filters`; per item `queue_{id}`, `skip_{id}`,
`later_{id}`, `new_{id}`. What the user decides is stored at once, so it survives a reload.
"""

from collections.abc import Callable, Sequence
from datetime import datetime

import streamlit as st

from amplify.clock import ANY_TIME, period_start
from amplify.display import isolated, without_direction_controls
from amplify.errors import AmplifyError
from amplify.refresh import refresh
from amplify.store import Store
from amplify.store.review import ReviewFilters, ReviewPage
from amplify.types import FollowList
from amplify.ui import components, context

PAGE_SIZE = 50
# The view's label is its value, so deep links read `?view=Saved+for+later`.
VIEWS = {"To review": "new", "Saved for later": "later"}
# When a post was published, in periods that suit a daily feed (a calendar is more than a feed needs).
PERIODS = (ANY_TIME, "Today", "Since yesterday", "Last 7 days", "Last 30 days")
NOTICE_KEY = "today_notice"
PAGE_KEY = "today_page"


def render() -> None:
    store = context.store()
    state = context.follow_list()
    now = store.clock()
    st.title("Today")
    components.follow_list_problems(state, consequence="so nothing new can be fetched")
    # Refreshing from an unreadable or missing follow list would mark every source unfollowed: wait for the file.
    usable = not (state.error or state.missing)
    if st.button("Refresh", key="refresh", icon=":material/refresh:", disabled=not usable,
                 help="Fetch what your sources published since the last refresh" if usable
                 else f"No follow list to refresh from at {context.feeds_path()}"):
        _refresh(store, state.follow_list)
    counts = store.review_counts()
    last_report = store.last_refresh()
    last_refresh = last_report.at if last_report else None
    refreshed = (f"last refreshed {components.relative_time(last_refresh, now)}" if last_refresh
                 else "not refreshed yet")
    st.caption(f"{counts.new:,} to review · {counts.later:,} saved for later · "
               f"{counts.queued:,} in your queue · {refreshed}")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.warning(notice)

    filters = _filters(store, now)
    page = store.today(filters=filters, page=st.session_state.get(PAGE_KEY, 1), page_size=PAGE_SIZE)
    st.session_state[PAGE_KEY] = page.page
    if not page.items:
        _empty(state, filters, last_refresh, now, has_items=bool(counts.by_state))
        return
    _list(page, filters, now, state.follow_list)


# -- filters -----------------------------------------------------------------------------------------------


def _first_page() -> None:
    st.session_state[PAGE_KEY] = 1


def _filters(store: Store, now: datetime) -> ReviewFilters:
    options = store.filter_options()
    source_ids = dict((name, source_id) for source_id, name in options.sources)
    with st.sidebar:
        view = st.radio("Show", list(VIEWS), key="view", horizontal=True, bind="query-params",
                        on_change=_first_page)
        search = st.text_input("Search", key="search", placeholder="Words in titles and summaries",
                               bind="query-params", on_change=_first_page)
        sources = _choose("Source", list(source_ids), "source")
        kinds = _choose("Kind", options.kinds, "kind")
        tags = _choose("Tag", options.tags, "tag")
        labels = _choose("Self-described as", options.labels, "label",
                         help="Only what sources say of themselves, in their own words, with where they said it")
        published = st.selectbox("Published", PERIODS, key="published", bind="query-params",
                                 on_change=_first_page)
    return ReviewFilters(
        view=VIEWS.get(view or "", "new"),
        source_ids=tuple(source_ids[name] for name in sources if name in source_ids),
        kinds=tuple(kinds),
        tags=tuple(tags),
        labels=tuple(labels),
        since=period_start(published or ANY_TIME, now.date()),
        search=search or "",
    )


def _choose(label: str, options: Sequence[str], key: str, *, help: str | None = None) -> list[str]:
    """A filter bound to the URL, drawn only when there is something to choose (an empty list would be a
    disabled control, greyed past what people can read, for nothing)."""
    if not options:
        return []
    return st.multiselect(label, options, key=key, bind="query-params", on_change=_first_page, help=help)


def _clear_filters() -> None:
    # Bound to the URL, these are cleared through their state.
    for key in ("source", "kind", "tag", "label"):
        st.session_state[key] = []
    st.session_state["search"] = ""
    st.session_state["published"] = ANY_TIME
    _first_page()


# -- the list ----------------------------------------------------------------------------------------------


def _list(page: ReviewPage, filters: ReviewFilters, now: datetime, follow_list: FollowList) -> None:
    noun = "post" if page.total == 1 else "posts"
    st.markdown(f"**{page.first_number:,}–{page.last_number:,} of {page.total:,} {noun}**"
                + (" saved for later" if filters.view == "later" else ""))
    networks = follow_list.settings.networks
    queue = components.CardAction("queue", "Queue", _acting(lambda store, item_id: store.set_item_state(
        item_id, "queued", networks=networks)), primary=True, help="Draft a post that credits them")
    skip = components.CardAction("skip", "Skip", _moving_to("skipped"), help="Not this one")
    if filters.view == "later":
        actions = [queue, skip, components.CardAction("new", "Back to review", _moving_to("new"))]
    else:
        actions = [queue, skip, components.CardAction("later", "Later", _moving_to("later"),
                                                      help="Keep it for another day")]
    for item in page.items:
        components.item_card(item, now=now, actions=actions)
    with st.container(horizontal=True):
        if filters.view == "new":
            shown = [item.id for item in page.items]
            st.button(f"Skip all {len(shown)} shown", key="skip_all_shown",
                      on_click=_acting(lambda store: store.set_state_for(shown, "skipped")),
                      help="Mark every post on this page as skipped")
        if page.page_count > 1:
            st.button("Newer", key="page_prev", icon=":material/arrow_back:", disabled=page.page <= 1,
                      on_click=_turn, args=(page.page - 1,))
            st.markdown(f"Page {page.page} of {page.page_count}")
            st.button("Older", key="page_next", icon=":material/arrow_forward:",
                      disabled=page.page >= page.page_count, on_click=_turn, args=(page.page + 1,))


def _turn(to_page: int) -> None:
    st.session_state[PAGE_KEY] = to_page


def _acting(action: Callable[..., object]) -> Callable[..., None]:
    """A button callback: `action(store, *args)`. Callbacks run before the page script, so it opens its own
    store. A refusal (another tab got there first, say) is shown as a notice rather than a traceback."""

    def run(*args: object) -> None:
        try:
            with context.open_store() as store:
                action(store, *args)
        except AmplifyError as error:
            st.session_state[NOTICE_KEY] = str(error)

    return run


def _moving_to(state: str) -> Callable[..., None]:
    return _acting(lambda store, item_id: store.set_item_state(item_id, state))


# -- refresh, problems, empty states -----------------------------------------------------------------------


def _refresh(store: Store, follow_list: FollowList) -> None:
    with st.status("Looking for new posts…", expanded=True) as status:
        bar = st.progress(0.0, text="Starting")

        def progress(done: int, total: int, _feed_url: str) -> None:
            bar.progress(done / total if total else 1.0, text=f"{done} of {total} feeds")

        report = refresh(store, follow_list, progress=progress)
        bar.progress(1.0, text="Done")
        new = _count(report.new_items, "new post", "new posts")
        if report.errors:
            status.update(label=f"{new}; {_count(len(report.errors), 'feed', 'feeds')} could not be read",
                          state="error", expanded=True)
            for problem in report.errors:
                components.plain_text(f"{isolated(problem.source)} ({without_direction_controls(problem.feed)}): "
                                      f"{problem.error}", small=True)
        else:
            status.update(label=f"{new} from {_count(report.feeds, 'feed', 'feeds')}", state="complete",
                          expanded=False)
    st.toast(f"Refreshed: {new}.", icon=":material/check:")


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def _empty(state: context.FollowListState, filters: ReviewFilters, last_refresh: str | None, now: datetime, *,
           has_items: bool) -> None:
    if filters.narrowed:
        components.empty_state("Nothing matches these filters.",
                               "Try fewer filters, or clear them to see everything waiting for you.")
        st.button("Clear filters", key="clear_filters", on_click=_clear_filters)
    elif filters.view == "later":
        components.empty_state("Nothing saved for later.",
                               "Press Later on a post you want to come back to; it waits here.")
    elif not state.follow_list.sources and not has_items:
        components.empty_state(
            "No sources yet.",
            "Follow a creator or business you want to amplify: on Sources, paste their homepage or feed "
            "address. Then come back here and press Refresh.",
        )
        context.page_link("sources", "Add a source", icon=":material/add:")
    elif last_refresh:
        components.empty_state(
            "You're all caught up.",
            f"Nothing new since the last refresh, {components.relative_time(last_refresh, now)}. "
            "Press Refresh to look again.",
        )
    else:
        components.empty_state("Nothing here yet.",
                               "Press Refresh to fetch what your sources have published.")
