"""Importing a library without the optional extras it would load just because they are installed."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def skipping(*names: str) -> Iterator[None]:
    """Within the block, `import NAME` fails with ImportError for each of `names` not yet imported, as if it were
    not installed (a None entry in sys.modules, as the import system documents); afterwards they import as usual.
    Only for extras that the library itself tries in `try: import ... except ImportError` and does without."""
    hidden = [name for name in names if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, False) is None:
                del sys.modules[name]
