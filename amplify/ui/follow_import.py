"""The Sources page's "From Mastodon or Bluesky": fetch whom an account follows, then choose whom to follow.

The fetch runs in a thread of its own, so the page stays usable while a long list comes in; the page shows its
progress from the store, where each page lands, and an import that stopped goes on from there. Nothing is added
until the user confirms their choice. Identity labels are never filled in.

Widget keys: `import_network`, `import_account`, `import_server`, `import_fetch`, `import_resume`; the chooser:
`import_search`, `import_page`, `import_select_all`, `import_clear`, `import_confirm`, and per account `pick_{n}`
(n: its place in the list).
"""

import threading
from dataclasses import dataclass

import streamlit as st

from amplify.display import isolated, without_direction_controls
from amplify.errors import AmplifyError
from amplify.fetch import DEFAULT_LIMITS, FetchLimits
from amplify.follow.load import load_follow_list
from amplify.follows import (
    BLUESKY,
    MASTODON,
    AddResult,
    Candidate,
    FollowImportError,
    add_candidates,
    already_followed,
    import_follows,
    list_key,
)
from amplify.paging import page_count, page_start
from amplify.store import Store
from amplify.types import FollowList
from amplify.ui import components, context

PAGE_SIZE = 50
NETWORK_LABELS = {MASTODON: "Mastodon", BLUESKY: "Bluesky"}
JOB_KEY = "import_job"
CHOSEN_KEY = "import_chosen"
DONE_KEY = "import_done"
LABELS_NOTE = ("Labels are what a source says of itself, with the link to where they said it: amplify leaves them "
               "empty, never reading them from a bio or anywhere else. Add them under Edit a source when someone "
               "describes themselves.")


@dataclass(frozen=True)
class Job:
    """One import this session started: which list, on which server, in which database."""

    db: str
    network: str
    account: str
    server: str
    limits: FetchLimits = DEFAULT_LIMITS
    own_instance: str | None = None  # where the user's Mastodon token may go (feeds.yml's mastodon_instance)


_threads: dict[Job, threading.Thread] = {}
_errors: dict[Job, str] = {}
_lock = threading.Lock()


def start(job: Job) -> None:
    """Fetch in the background (once: a job already running is left alone)."""
    with _lock:
        running = _threads.get(job)
        if running is not None and running.is_alive():
            return
        _errors.pop(job, None)
        thread = threading.Thread(target=_fetch, args=(job,), name="amplify-follow-import", daemon=True)
        _threads[job] = thread
        thread.start()


def _fetch(job: Job) -> None:
    try:
        with Store(job.db) as store:
            import_follows(store, job.network, job.account, server=job.server, limits=job.limits,
                           own_instance=job.own_instance)
    except AmplifyError as error:
        _errors[job] = str(error)
    except Exception as error:  # noqa: BLE001 - a thread's failure must reach the page, not vanish
        _errors[job] = f"The import stopped: {error}"


def running(job: Job) -> bool:
    thread = _threads.get(job)
    return thread is not None and thread.is_alive()


def wait(job: Job, timeout: float) -> None:
    """Until the job's thread ends (tests; the page never waits)."""
    thread = _threads.get(job)
    if thread is not None:
        thread.join(timeout)


# -- the form ------------------------------------------------------------------------------------------------------


def render(store: Store, follow_list: FollowList) -> None:
    st.caption("Start from whom you already follow: amplify lists the accounts, you choose whom to add.")
    with st.form("import_form", border=False):
        network = st.segmented_control("Network", list(NETWORK_LABELS), format_func=NETWORK_LABELS.__getitem__,
                                       default=MASTODON, required=True, key="import_network")
        account = st.text_input("Account", key="import_account",
                                placeholder="@you@your.instance, or you.bsky.social on Bluesky")
        server = st.text_input("Server (optional)", key="import_server",
                               help="Only when it is not the account's own instance (Mastodon) or Bluesky's public "
                                    "AppView.")
        submitted = st.form_submit_button("Fetch whom they follow", key="import_fetch", type="primary")
    if submitted:
        try:
            key, base = list_key(network or MASTODON, account or "", (server or "").strip() or None)
        except FollowImportError as error:
            st.error(components.escape_markdown(str(error)))
        else:
            job = Job(store.path, network or MASTODON, key, base, context.fetch_limits(),
                      follow_list.settings.mastodon_instance)
            st.session_state[JOB_KEY] = job
            st.session_state[CHOSEN_KEY] = set()
            start(job)
    job = st.session_state.get(JOB_KEY)
    if job is not None:
        _progress(job)
        row = store.follow_import(job.network, job.account, job.server)
        if row is not None and row.state == "fetched" and not running(job):
            _chooser(store, job, row.id, follow_list)
    _show_done()


@st.fragment(run_every=1.0)
def _progress(job: Job) -> None:
    """While the fetch runs: how far it got, refreshed every second; when it ends, the whole page again."""
    with context.open_store() as store:
        row = store.follow_import(job.network, job.account, job.server)
    fetched, expected = (row.fetched, row.expected) if row else (0, None)
    if running(job):
        of = f" of {expected:,}" if expected else ""
        st.progress(min(fetched / expected, 1.0) if expected else 0.0,
                    text=f"Fetching whom {job.account} follows: {fetched:,}{of} accounts so far…")
        st.session_state["import_was_running"] = True
        return
    if st.session_state.pop("import_was_running", False):
        st.rerun()  # the list is in: show the chooser
    problem = _errors.get(job)
    if problem:
        st.warning(components.escape_markdown(problem), icon=":material/info:")
        if row is not None and row.state == "fetching" and row.note != "hidden":
            st.button("Go on from where it stopped", key="import_resume", on_click=start, args=(job,))


# -- choosing --------------------------------------------------------------------------------------------------------


def _chooser(store: Store, job: Job, import_id: int, follow_list: FollowList) -> None:
    candidates = [Candidate.from_account(job.network, row) for row in store.follow_import_accounts(import_id)]
    followed = already_followed(candidates, follow_list)
    chosen: set[str] = st.session_state.setdefault(CHOSEN_KEY, set())
    already = f" You follow {len(followed):,} of them already." if followed else ""
    st.markdown(f"**{components.escape_markdown(job.account)}** follows {len(candidates):,} "
                f"{'account' if len(candidates) == 1 else 'accounts'}.{already}")
    st.caption(LABELS_NOTE)
    search = st.text_input("Search by name, handle or bio", key="import_search").strip().casefold()
    found = [(number, candidate) for number, candidate in enumerate(candidates)
             if not search or search in f"{candidate.name}\n{candidate.handle}\n{candidate.bio}".casefold()]
    selectable = [candidate.handle for _, candidate in found if candidate.handle not in followed]
    with st.container(horizontal=True):
        st.button(f"Choose all {len(selectable):,} found", key="import_select_all", on_click=_choose,
                  args=(selectable, True), disabled=not selectable)
        st.button("Clear my choices", key="import_clear", on_click=_choose,
                  args=(list(chosen), False), disabled=not chosen)
    pages = page_count(len(found), PAGE_SIZE)
    page = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="import_page") \
        if pages > 1 else 1
    start = page_start(int(page), PAGE_SIZE)
    for number, candidate in found[start:start + PAGE_SIZE]:
        _row(number, candidate, candidate.handle in followed, chosen)
    count = len(chosen)
    if st.button(f"Follow {count:,} chosen" if count else "Follow the chosen accounts", key="import_confirm",
                 type="primary", disabled=not count):
        _follow([candidate for candidate in candidates if candidate.handle in chosen], store)


def _row(number: int, candidate: Candidate, followed: bool, chosen: set[str]) -> None:
    key = f"pick_{number}"
    st.session_state[key] = followed or candidate.handle in chosen
    # Each field in its own direction isolate, the website without direction controls (amplify/display.py).
    label = (f"**{components.escape_markdown(isolated(candidate.name))}** · "
             f"{components.escape_markdown(isolated(candidate.handle))}")
    st.checkbox(label + (" · following already" if followed else ""), key=key, disabled=followed,
                on_change=_toggle, args=(key, candidate.handle))
    details = [isolated(components.excerpt(candidate.bio, 160))] if candidate.bio else []
    if candidate.website:
        details.append(f"site: {without_direction_controls(candidate.website)}"
                       + (" (verified)" if candidate.website_verified else ""))
    if details:
        components.plain_text(" · ".join(details), small=True)


def _toggle(key: str, handle: str) -> None:
    chosen: set[str] = st.session_state.setdefault(CHOSEN_KEY, set())
    if st.session_state.get(key):
        chosen.add(handle)
    else:
        chosen.discard(handle)


def _choose(handles: list[str], value: bool) -> None:
    chosen: set[str] = st.session_state.setdefault(CHOSEN_KEY, set())
    if value:
        chosen.update(handles)
    else:
        chosen.difference_update(handles)


def _follow(chosen: list[Candidate], store: Store) -> None:
    path = context.feeds_path()
    with st.spinner(f"Adding {len(chosen):,} and looking for feeds on their websites…"):
        try:
            outcome = add_candidates(path, chosen, limits=context.fetch_limits())
            store.sync_sources(load_follow_list(path))
        except AmplifyError as error:
            st.error(components.escape_markdown(str(error)))
            return
    st.session_state[CHOSEN_KEY] = set()
    st.session_state[DONE_KEY] = outcome
    st.rerun()


def _show_done() -> None:
    outcome: AddResult | None = st.session_state.pop(DONE_KEY, None)
    if outcome is None:
        return
    added = len(outcome.added)
    st.success(f"Now following {added:,} more {'source' if added == 1 else 'sources'}. Press Refresh on Today to "
               "fetch their posts.")
    problems = [f"{source.name}: {reason}" for source, reason in outcome.refused]
    problems += [f"{candidate.name}: no feed found on their website, so their {candidate.network} feed is "
                 "followed" for candidate, _ in outcome.site_problems]
    for problem in problems:
        components.plain_text(problem, small=True)
