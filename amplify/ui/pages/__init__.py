"""One module per page, each with a `render()` that app.py routes to."""
