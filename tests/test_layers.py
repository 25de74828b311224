"""The layers hold: no module of amplify imports itself round a cycle, and the store imports no core module.

Every import counts, the ones under `TYPE_CHECKING` and inside functions too: a cycle of type hints is still two
modules that cannot be read, or changed, one without the other. The imports are read from the source with `ast`.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "amplify"
# What the store may import besides itself: the records it takes and returns, and leaves that import nothing of
# amplify but each other (names, clock, the error base, the attestation ids, page arithmetic).
STORE_MAY_IMPORT = {"amplify.types", "amplify.names", "amplify.clock", "amplify.errors", "amplify.attestations",
                    "amplify.paging"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The amplify modules `path` imports: `from amplify import compose` is amplify.compose, `from amplify import
    __version__` is the package itself."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module in known:
            for alias in node.names:
                inner = f"{node.module}.{alias.name}"
                found.add(inner if inner in known else node.module)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) - {name} for name, path in known.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as the modules round it, or None."""
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        trail.append(name)
        for target in sorted(edges.get(name, ())):
            if state.get(target) == "open":
                return trail[trail.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[name] = "done"
        trail.pop()
        return None

    for name in sorted(edges):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_walk_sees_the_imports():
    edges = graph()
    assert "amplify.store.sources" in edges["amplify.store"]
    assert "amplify.types" in edges["amplify.store.ingest"]
    assert "amplify.compose" in edges["amplify.checklist.gate"]  # `from amplify import compose`


def test_the_cycle_finder_finds_one():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


def test_no_import_cycle():
    assert cycle(graph()) is None


def test_the_store_imports_no_core_module():
    edges = graph()
    outside = {
        (name, target)
        for name, targets in edges.items() if name == "amplify.store" or name.startswith("amplify.store.")
        for target in targets if not target.startswith("amplify.store") and target not in STORE_MAY_IMPORT
    }
    assert outside == set()


def test_what_the_store_may_import_imports_nothing_else():
    edges = graph()
    assert {target for name in STORE_MAY_IMPORT for target in edges[name]} <= STORE_MAY_IMPORT


# HTTP client libraries, and the one module that hands httpcore and httpx to the others.
HTTP_CLIENTS = {"httpx", "httpcore", "http.client", "urllib.request", "urllib3", "requests", "aiohttp",
                "amplify.fetch.http"}
# The modules that speak HTTP, all in the fetch package: the libraries' loader, the public-address backend, the
# client and the transfer of one GET. The entry points in amplify/fetch/__init__.py call them and import none.
SPEAKS_HTTP = {"amplify.fetch.http", "amplify.fetch.addresses", "amplify.fetch.client", "amplify.fetch.transfer"}


def imported_names(path: Path) -> set[str]:
    """Every module `path` imports, amplify's or not, with each of its parents (`http.client` gives `http` too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            found.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
    return found


def test_only_the_fetch_modules_speak_http():
    speaking = {name for name, path in modules().items() if imported_names(path) & HTTP_CLIENTS}
    assert speaking == SPEAKS_HTTP
