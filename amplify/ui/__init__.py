"""The Streamlit pages. The only package that imports streamlit; pages are thin: read state, call the core, draw."""
