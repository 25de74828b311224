"""The composer and the checklist beside it: the Queue page's components for one draft.

Lasting state lives in the database. Every change a user makes (text, template, networks, alt text,
attestations) is written by the widget's callback as it happens, so a reload or a restart shows the same
draft; widgets are filled from the database before they are drawn. Callbacks run before the page script binds
its store, so they open their own. Quote and hashtag choices are only inputs to a template: the text they
produce is what is saved.

Feed text is untrusted: titles, names and quotes are drawn as plain text or as escaped Markdown, and links
only when they are absolute http(s).
"""

import html
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import streamlit as st

from amplify import checklist, compose
from amplify.display import isolated, without_direction_controls
from amplify.errors import AmplifyError
from amplify.store import Store
from amplify.types import Draft, DraftPost, Settings
from amplify.ui import context
from amplify.ui.components import (
    IMAGE_WIDTH,
    escape_markdown,
    image_description,
    markdown_link,
    relative_time,
    safe_url,
)
from amplify.urls import is_http_url

NOTICE_KEY = "queue_notice"
TOAST_KEY = "queue_toast"
DEFAULT_TEMPLATE = "quote_first"  # the creator's own words come first whenever the item has some to quote
NO_QUOTE = ""


# -- writing from callbacks ----------------------------------------------------------------------------------


@contextmanager
def page_store() -> Iterator[Store]:
    """The store bound for this script run, or one of its own (callbacks and fragment reruns run outside)."""
    try:
        bound = context.store()
    except LookupError:
        with context.open_store() as opened:
            yield opened
        return
    yield bound


def write(action: Callable[[Store], object]) -> None:
    """Run one change from a widget callback; a refusal is kept and shown at the top of the page."""
    try:
        with page_store() as store:
            action(store)
    except AmplifyError as refusal:
        st.session_state[NOTICE_KEY] = str(refusal)  # StoreError: a full disk, a read-only or tampered file


def show_notice() -> None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.error(escape_markdown(notice))  # it may quote what the user typed


# -- the draft as the composer sees it -----------------------------------------------------------------------


def creator_of(draft: Draft) -> dict[str, Any]:
    """The source fields compose.credit_for reads, from a `Store.drafts()` row."""
    return {
        "name": draft.source_name, "handles": draft.source_handles, "credit": draft.source_credit,
    }


def quote_options(draft: Draft) -> list[str]:
    return [*compose.quote_candidates(draft.item_summary or ""), NO_QUOTE]


def suggested_hashtags(draft: Draft) -> list[str]:
    return compose.suggest_hashtags(draft.source_tags)


def _quote_key(draft_id: int) -> str:
    return f"draft_quote_{draft_id}"


def _hashtags_key(draft_id: int) -> str:
    return f"draft_hashtags_{draft_id}"


def text_key(draft_id: int, network: str) -> str:
    return f"draft_text_{draft_id}_{network}"


def _template_key(draft_id: int, network: str) -> str:
    return f"draft_template_{draft_id}_{network}"


def _chosen_quote(draft: Draft) -> str:
    return st.session_state.get(_quote_key(draft.id), quote_options(draft)[0])


def _chosen_hashtags(draft: Draft) -> list[str]:
    return list(st.session_state.get(_hashtags_key(draft.id), suggested_hashtags(draft)))


def _item_url(draft: Draft) -> str:
    """The item's address as it is shown, posted, probed and checked: without direction controls."""
    return without_direction_controls(draft.item_url)


def first_text(draft: Draft, network: str, template: str) -> str:
    """The text a template makes for one network from the user's current quote and hashtag choices."""
    url = _item_url(draft) if is_http_url(_item_url(draft)) else ""
    return compose.draft_text(
        title=draft.item_title, url=url, creator=compose.credit_for(creator_of(draft), network),
        quote=_chosen_quote(draft) or None, hashtags=_chosen_hashtags(draft), network=network,
        template=template,
    )


def _template_for(draft: Draft, post: DraftPost) -> str:
    template = post.template or DEFAULT_TEMPLATE
    if template == "quote_first" and not _chosen_quote(draft):
        return "link_first"
    return template


def fill_new_posts(store: Store, draft: Draft, posts: dict[str, DraftPost]) -> None:
    """A network just chosen starts from the default template, saved at once so the checklist sees it."""
    for network, post in posts.items():
        if post.template is None and not post.text:
            template = _template_for(draft, post)
            store.save_post_text(draft.id, network, first_text(draft, network, template), template)
            posts[network] = store.draft_posts(draft.id)[network]


def _rewrite_all(draft: Draft) -> None:
    """Quote or hashtags changed: every network's text is made again from its template."""

    def rewrite(store: Store) -> None:
        for network, post in store.draft_posts(draft.id).items():
            if network in checklist.load_share_context(store, draft.id, network).shared_networks:
                continue  # what was posted stays as it was posted
            template = _template_for(draft, post)
            store.save_post_text(draft.id, network, first_text(draft, network, template), template)

    write(rewrite)


def _on_hashtags_changed(draft: Draft) -> None:
    key = _hashtags_key(draft.id)
    cleaned: list[str] = []
    for tag in st.session_state[key]:
        try:
            candidate = compose.hashtag(tag)
        except compose.InvalidHashtag as refusal:
            st.session_state[NOTICE_KEY] = str(refusal)
            continue
        if candidate.casefold() not in {seen.casefold() for seen in cleaned}:
            cleaned.append(candidate)
    st.session_state[key] = cleaned
    _rewrite_all(draft)


def _on_template_changed(draft: Draft, network: str) -> None:
    template = st.session_state[_template_key(draft.id, network)]
    text = first_text(draft, network, template)
    write(lambda store: store.save_post_text(draft.id, network, text, template))


def _on_text_changed(draft_id: int, network: str) -> None:
    text = st.session_state[text_key(draft_id, network)] or ""
    write(lambda store: store.save_post_text(draft_id, network, text))


def _on_networks_changed(draft_id: int) -> None:
    chosen = st.session_state[f"draft_networks_{draft_id}"]
    write(lambda store: store.set_draft_networks(draft_id, chosen))


def _on_alt_text_changed(draft_id: int) -> None:
    alt_text = st.session_state[f"draft_alt_{draft_id}"] or ""
    write(lambda store: store.set_alt_text(draft_id, alt_text))


def _sync(key: str, value: object, version_key: str | None = None, version: object = None) -> None:
    """Show the database's value in a widget. With a version, only when the stored value changed since this
    session last showed it (another tab, a template), so an edit in flight is never overwritten."""
    if version_key is None:
        st.session_state[key] = value
    elif st.session_state.get(version_key) != version or key not in st.session_state:
        st.session_state[key] = value
        st.session_state[version_key] = version


# -- drawing -------------------------------------------------------------------------------------------------


def draft_header(draft: Draft, now: datetime) -> None:
    """The creator first: who they are, what they made, where it lives."""
    st.subheader(escape_markdown(isolated(draft.source_name)))
    st.markdown(f"**{markdown_link(draft.item_title, draft.item_url)}**")
    details = [draft.source_kind]
    if draft.item_author:
        details.append(f"by {isolated(draft.item_author)}")
    if draft.item_published_at:
        details.append(f"published {relative_time(draft.item_published_at, now)}")
    st.caption(escape_markdown(" · ".join(details)))
    if draft.source_credit == "ask":
        st.warning(
            f"{escape_markdown(isolated(draft.source_name))} asked to be asked first. Check with them before you "
            "tag them or share this, and note their answer in the checklist."
        )


def _move(draft_id: int, direction: int) -> None:
    write(lambda store: store.move_draft(draft_id, direction))


def _discard(draft_id: int) -> None:
    write(lambda store: store.discard_draft(draft_id))
    if NOTICE_KEY not in st.session_state:
        st.session_state[TOAST_KEY] = "Draft discarded. The post is marked skipped; your words stay on record."


def order_buttons(draft_id: int, *, first: bool, last: bool) -> bool:
    """Up, down, discard, and whether to show the composer: always for the first in line, on request for
    the others; returns whether it is shown. Callbacks act before the page is drawn, so it is drawn in the
    new order."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Move up", key=f"draft_up_{draft_id}", disabled=first, on_click=_move, args=(draft_id, -1))
        st.button("Move down", key=f"draft_down_{draft_id}", disabled=last, on_click=_move,
                  args=(draft_id, +1))
        st.button("Discard", key=f"draft_discard_{draft_id}", on_click=_discard, args=(draft_id,),
                  help="Take this out of the queue. The post is marked skipped; your words stay on record.")
        if first:
            return True
        return st.toggle("Write the post", key=f"draft_open_{draft_id}")


def draft_choices(draft: Draft, posts: Mapping[str, DraftPost]) -> None:
    """What every network's draft is made from: networks, the creator's words to quote, hashtags, alt text."""
    draft_id = draft.id
    _sync(f"draft_networks_{draft_id}", list(posts))
    st.multiselect(
        "Networks", list(compose.NETWORKS), key=f"draft_networks_{draft_id}",
        format_func=lambda network: compose.NETWORKS[network].label,
        on_change=_on_networks_changed, args=(draft_id,),
    )
    quotes = quote_options(draft)
    st.selectbox(
        "Their words to quote", quotes, key=_quote_key(draft_id),
        format_func=lambda quote: quote or "No quote", on_change=_rewrite_all, args=(draft,),
        help="A whole sentence from their post, so the post leads with their own words. Changing it rewrites "
             "the drafts below.",
    )
    hashtags = _chosen_hashtags(draft)
    st.session_state.setdefault(_hashtags_key(draft_id), hashtags)
    st.multiselect(
        "Hashtags", list(dict.fromkeys([*suggested_hashtags(draft), *hashtags])), key=_hashtags_key(draft_id),
        accept_new_options=True, max_selections=3,
        on_change=_on_hashtags_changed, args=(draft,),
        help="At most three, written in CamelCase (#BlackOwnedBusiness) so screen readers say each word. "
             "Type one to add it.",
    )
    if draft.item_image_url:
        image = safe_url(draft.item_image_url)
        if image:
            st.image(image, width=IMAGE_WIDTH, alt=image_description(draft.alt_text or draft.item_image_alt,
                                                                     draft.item_title))
        _sync(f"draft_alt_{draft_id}", draft.alt_text or "")
        st.text_input(
            "Image description (alt text)", key=f"draft_alt_{draft_id}",
            on_change=_on_alt_text_changed, args=(draft_id,),
            help="What the image shows, for people who cannot see it.",
        )


def length_caption(text: str, network: str) -> None:
    """The live count under the network's own rule, red when over the limit. The count is a polite live region
    (role="status"), so a screen reader says the new count when the text is saved (on leaving the box or
    Ctrl+Enter), never on every keystroke. The region is the same element from run to run, only its words
    change, which is what makes it announce."""
    checked = compose.check_length(text, network)
    # Raw HTML for the live region: the words are amplify's own (counts, limits, the network's rule), escaped all
    # the same so a future reason that quotes the draft cannot become markup.
    rule = html.escape(compose.NETWORKS[network].counting, quote=False)
    reason = html.escape(checked.reason, quote=False)
    count = reason if checked.fits else f":red[{reason}]"
    st.caption(f'<span role="status">{count}</span> · {rule}', unsafe_allow_html=True)


def post_editor(draft: Draft, network: str, post: DraftPost) -> None:
    """One network's template, credit, text and live count."""
    draft_id = draft.id
    credit = compose.credit_for(creator_of(draft), network)
    if credit.needs_consent:
        st.caption(f"Credit: {escape_markdown(isolated(credit.name))}, once they have said yes to being tagged.")
    elif credit.mention and "`" not in credit.mention:
        # A code span: Markdown would otherwise turn `@user@host` into an e-mail link.
        st.caption(f"Credit: their handle here, `{credit.mention}`")
    elif credit.preference == "name":
        st.caption(f"Credit: {escape_markdown(isolated(credit.name))} by name, as they asked.")
    else:
        label = compose.NETWORKS[network].label
        st.caption(f"Credit: {escape_markdown(isolated(credit.name))} by name; they have no {label} handle on "
                   "file.")
    _sync(_template_key(draft_id, network), post.template or DEFAULT_TEMPLATE)
    st.selectbox(
        "Template", list(compose.TEMPLATES), key=_template_key(draft_id, network),
        format_func=lambda template: compose.TEMPLATES[template].label,
        on_change=_on_template_changed, args=(draft, network),
        help="Picking a template rewrites the text below from it.",
    )
    key = text_key(draft_id, network)
    _sync(key, post.text, f"_{key}_version", post.version)
    st.text_area(
        f"Your {compose.NETWORKS[network].label} post", key=key, height=200,
        on_change=_on_text_changed, args=(draft_id, network),
    )
    with st.container(key=f"draft_count_{draft_id}_{network}"):
        length_caption(post.text, network)


def draft_card(store: Store, draft: Draft, settings: Settings, *, first: bool,
               last: bool) -> None:
    """One queued draft: the creator and their piece, its place in the queue, and when open, the shared
    choices and a tab per network with the editor and its checklist side by side. Only the first in line
    and the drafts the user opens draw a composer, so a long queue stays quick."""
    draft_id = draft.id
    # Only networks amplify knows the rules of can be composed for (a hand-edited database may hold others).
    posts = {network: post for network, post in store.draft_posts(draft_id).items() if network in compose.NETWORKS}
    fill_new_posts(store, draft, posts)
    draft_header(draft, store.clock())
    if not order_buttons(draft_id, first=first, last=last):
        return
    draft_choices(draft, posts)
    if not posts:
        st.info("Choose a network above to start writing.")
        return
    tabs = st.tabs([compose.NETWORKS[network].label for network in posts])
    for tab, network in zip(tabs, posts, strict=True):
        with tab:
            network_panel(draft_id, network, settings.mastodon_instance)


@st.fragment
def network_panel(draft_id: int, network: str, instance: str) -> None:
    """The editor and the checklist for one network. A fragment: typing reruns only this panel, and everything
    it shows is read back from the database each time."""
    if TOAST_KEY in st.session_state:
        st.rerun()  # a share just landed: the whole queue changes, not only this panel
    show_notice()  # a refusal from this panel's own callbacks, when only this panel reruns
    with page_store() as store:
        draft = store.draft(draft_id)
        post = store.draft_posts(draft_id).get(network)
        if draft is None or draft.state != "open" or post is None:
            st.info("This draft changed in another tab or window. Open the Queue again to see it as it is now.")
            return
        if network in checklist.load_share_context(store, draft_id, network).shared_networks:
            st.success(f"Shared on {compose.NETWORKS[network].label}. It is in your History.")
            return
        status = checklist.gate_status(store, draft_id, network)
        editor, checks = st.columns([3, 2], gap="large")
        with editor:
            post_editor(draft, network, post)
            share_controls(draft, network, post, instance, status)
        with checks:
            checklist_panel(store, draft, network, post.version, status)


# -- the checklist beside the draft --------------------------------------------------------------------------


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


def show_toast() -> None:
    message = st.session_state.pop(TOAST_KEY, None)
    if message:
        st.toast(message)


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
    if _item_url(draft):
        probed = store.link_probe(_item_url(draft)) is not None
        st.button(
            "Check the link again" if probed else "Check the link", key=f"probe_{draft_id}_{network}",
            help="Opens their link now to see that it works and where it ends up.",
            on_click=_probe, args=(_item_url(draft),),
        )
    st.markdown("**You confirm**")
    for result in status.results:
        if result.check.kind != "attested":
            continue
        key = f"attest_{draft_id}_{network}_{result.check.id}"
        _sync(key, result.passed)
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
        compose_link = compose.compose_url(network, post.text, url=_item_url(draft), instance=instance)
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
