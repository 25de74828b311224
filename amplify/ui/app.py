"""The router: st.navigation over the pages, with deep links. Nothing else lives here."""

import streamlit as st

from amplify.store import StoreError
from amplify.ui import context
from amplify.ui.components import escape_markdown
from amplify.ui.pages import audit, history, queue, sources, today


def main() -> None:
    st.set_page_config(page_title="amplify", layout="wide")
    # Tables offer no CSV download of their own: it would write a cell such as "=HYPERLINK(...)" from a feed as is,
    # where every CSV amplify writes makes such a cell safe (export.csv_text). The Audit page exports the data.
    st.set_option("client.disableDataExport", True)
    pages = [
        st.Page(today.render, title="Today", url_path="today", default=True),
        st.Page(queue.render, title="Queue", url_path="queue"),
        st.Page(sources.render, title="Sources", url_path="sources"),
        st.Page(history.render, title="History", url_path="history"),
        st.Page(audit.render, title="Audit", url_path="audit"),
    ]
    context.register_pages(pages)
    try:
        with context.bound_store() as store:
            if store.write_refusal is not None:  # an append-only trigger is gone: reading works, writing not
                st.error(escape_markdown(store.write_refusal))
            st.navigation(pages).run()
    except StoreError as error:  # a damaged, foreign, newer or half-upgraded file: say so, plainly
        st.error(escape_markdown(str(error)))
