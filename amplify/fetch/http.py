"""httpx, loaded for the one thing amplify asks of it (building request bodies: multipart uploads, in `api`), without
the extras it loads whenever they are installed.

At every import, httpx loads its command-line tool with click, pygments and rich (about 0.015 s), and httpcore, which
it brings, imports trio (for async code under trio; about 0.05 s). Each tries the import and does without on
ImportError, so the extras are skipped for this import only. Requests themselves go through `client` on the
standard library's `http.client`: a refresh never loads httpx.
"""

from amplify.optional_imports import skipping

with skipping("trio", "httpx._main"):
    import httpx

__all__ = ["httpx"]
