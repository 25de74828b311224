"""httpcore and httpx, loaded once for the fetch modules, without the extras amplify never uses.

Both libraries load extras whenever they are installed, at every start: httpcore imports trio (for async code under
trio; about 0.05 s), httpx its command-line tool with click, pygments and rich (about 0.015 s). Each tries the import
and does without on ImportError, so the extras are skipped for this import only. The other fetch modules take the
two libraries from here, so whichever loads first, they load without them.
"""

from amplify.optional_imports import skipping

with skipping("trio", "httpx._main"):
    import httpcore
    import httpx

__all__ = ["httpcore", "httpx"]
