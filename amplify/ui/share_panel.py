"""The checklist beside a draft, and what shares it: each automatic check with its reason, the link probe, the
confirmations the user gives for the text on screen, then the compose page and "Mark shared", enabled only when
the gate passes. The gate itself is `checklist.mark_shared`, which decides again from the database.
"""

import streamlit as st

from amplify import checklist, compose
from amplify.display import isolated
from amplify.errors import AmplifyError
from amplify.store import Store
from amplify.types import Draft, DraftPost
from amplify.ui import context, post_controls
from amplify.ui.components import escape_markdown
from amplify.ui.widget_state import TOAST_KEY, item_url, page_store, sync, write


def _on_attestation_changed(draft_id: int, network: str, check_id: str, text_version: int) -> None:
    """Confirm for the text version the user was looking at; the store refuses if it has changed since."""
    given = st.session_state[f"attest_{draft_id}_{network}_{check_id}"]
    if given:
        write(lambda store: store.attest(draft_id, network, check_id, text_version))
    else:
        write(lambda store: store.withdraw_attestation(draft_id, network, check_id))


def _probe(url: str) -> None:
    limits = context.fetch_limits()
    write(lambda store: checklist.refresh_link_probe(store, url, force=True, limits=limits))


def _share(draft_id: int, network: str, source_name: str) -> None:
    """Ask the gate to record the share. It decides again from the database, so a click on a page drawn
    before another tab changed the text is refused, with every reason."""
    post_url = st.session_state.get(f"post_url_{draft_id}_{network}") or None
    label = compose.NETWORKS[network].label
    try:
        with page_store() as store:
            checklist.mark_shared(store, draft_id, network, post_url)
    except checklist.ShareRefused as refused:
        st.session_state[f"_refused_{draft_id}_{network}"] = (
            "Not marked shared. Still to do:\n" + reasons_markdown(refused.failures)
        )
    except AmplifyError as problem:
        st.session_state[f"_refused_{draft_id}_{network}"] = escape_markdown(str(problem))
    else:
        st.session_state[TOAST_KEY] = (
            f"Marked shared on {label}. Thank you for amplifying {escape_markdown(isolated(source_name))}."
        )


def check_line(label: str, passed: bool, severity: str, detail: str) -> str:
    """One check as a line of Markdown: a mark (passed, advisory, blocking), its label and what was found."""
    if passed:
        mark = ":green[✓]"
    elif severity == "advisory":
        mark = ":orange[!]"
    else:
        mark = ":red[✗]"
    return f"{mark} **{escape_markdown(label)}**: {escape_markdown(detail)}"


def _result_line(result: checklist.CheckResult) -> str:
    return check_line(result.check.label, result.passed, result.check.severity, result.detail)


def reasons_markdown(failures: list[checklist.CheckResult]) -> str:
    return "\n".join(f"- **{result.check.label}**: {escape_markdown(result.detail)}" for result in failures)


def checklist_panel(store: Store, draft: Draft, network: str, text_version: int,
                    status: checklist.GateStatus) -> None:
    """Automatic results with their why, the link probe, and the confirmations, each given for the text
    version on screen."""
    draft_id = draft.id
    st.markdown("**Checked for you**")
    for result in status.results:
        if result.check.kind != "automatic":
            continue
        if result.passed:
            st.markdown(_result_line(result), help=result.check.why)
        else:
            # What is not right yet carries its reason in plain sight, not behind a hover.
            st.markdown(_result_line(result))
            st.caption(result.check.why)
    if item_url(draft):
        probed = store.link_probe(item_url(draft)) is not None
        st.button(
            "Check the link again" if probed else "Check the link", key=f"probe_{draft_id}_{network}",
            help="Opens their link now to see that it works and where it ends up.",
            on_click=_probe, args=(item_url(draft),),
        )
    st.markdown("**You confirm**")
    for result in status.results:
        if result.check.kind != "attested":
            continue
        key = f"attest_{draft_id}_{network}_{result.check.id}"
        sync(key, result.passed)
        st.checkbox(
            result.check.label, key=key, help=result.check.why, wrap=True, width="stretch",
            on_change=_on_attestation_changed, args=(draft_id, network, result.check.id, text_version),
        )


def share_controls(draft: Draft, network: str, post: DraftPost, instance: str,
                   status: checklist.GateStatus) -> None:
    """What is still missing, the compose page and "Mark shared", enabled only when the gate passes. The
    gate itself is `checklist.mark_shared`: a click on a stale page is refused with every reason."""
    draft_id = draft.id
    with st.container(key=f"share_status_{draft_id}_{network}"):
        if status.can_share:
            st.success("Everything is in place. Post it, then mark it shared.")
        else:
            st.markdown("**Not ready to share yet:**\n" + reasons_markdown(status.failures))
    try:
        compose_link = compose.compose_url(network, post.text, url=item_url(draft), instance=instance)
    except compose.ComposeError as problem:
        compose_link = None
        st.caption(escape_markdown(str(problem)))
    # Offered once the gate passes (a disabled link button is drawn too faint to read, and is not announced as
    # unavailable); until then the list above says what is missing.
    if compose_link and status.can_share:
        st.link_button(
            f"Open {compose.NETWORKS[network].label}'s compose page", compose_link,
            key=f"compose_{draft_id}_{network}",
        )
    post_controls.post_buttons(draft_id, network, draft.source_name, status)
    st.text_input(
        "Link to your post (optional)", key=f"post_url_{draft_id}_{network}", placeholder="https://…",
        help="Paste the address of the post once it is up, so your History links to it.",
    )
    st.button(
        "Mark shared", key=f"share_{draft_id}_{network}", type="primary", disabled=not status.can_share,
        on_click=_share, args=(draft_id, network, draft.source_name),
    )
    refusal = st.session_state.pop(f"_refused_{draft_id}_{network}", None)
    if refusal:
        with st.container(key=f"share_refused_{draft_id}_{network}"):
            st.error(refusal)
