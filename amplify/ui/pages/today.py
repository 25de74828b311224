"""Today: what followed sources published since the last review."""

import streamlit as st


def render() -> None:
    st.title("Today")
