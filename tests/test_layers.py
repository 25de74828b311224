"""The layers hold: no module of amplify imports itself round a cycle, the store imports no core module, and what
the store returns is a record from amplify.types, never a loose dict.

Every import counts, the ones under `TYPE_CHECKING` and inside functions too: a cycle of type hints is still two
modules that cannot be read, or changed, one without the other. The imports are read from the source with `ast`.
"""

import ast
import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Any

from amplify import types
from amplify.store import Store

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
        for target in targets
        if not target.startswith("amplify.store") and not allowed_to_the_store(target)
    }
    assert outside == set()


def allowed_to_the_store(name: str) -> bool:
    """One of the modules the store may import, or a module of one of those packages (amplify.types.records)."""
    return any(name == allowed or name.startswith(f"{allowed}.") for allowed in STORE_MAY_IMPORT)


def test_what_the_store_may_import_imports_nothing_else():
    edges = graph()
    reached = {target for name, targets in edges.items() if allowed_to_the_store(name) for target in targets}
    assert {target for target in reached if not allowed_to_the_store(target)} == set()
    assert "amplify.types.records" in edges  # the walk sees the package's modules


# The base's SQL helpers hand raw rows to the mixins, which make records of them; no other method returns a row.
RAW_ROW_HELPERS = {"row", "rows", "scalar"}
# A record defined beside its queries: its page arithmetic is amplify.paging's, which amplify.types does not import.
RECORDS_OUTSIDE_TYPES = {"ReviewPage"}


def loose_parts(hint: Any) -> list[Any]:
    """The parts of a return type that are not records, scalars or containers of them: `Any`, a bare `dict`, a
    dict of `Any`, or a dataclass that is not frozen or not from amplify.types."""
    if hint is Any or hint is dict:
        return [hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is dict and args[1] is Any:
        return [hint]
    if dataclasses.is_dataclass(hint):
        frozen = hint.__dataclass_params__.frozen  # type: ignore[attr-defined]
        home = hint.__module__.startswith(f"{types.__name__}.") or hint.__name__ in RECORDS_OUTSIDE_TYPES
        return [] if frozen and home else [hint]
    return [part for arg in args for part in loose_parts(arg)]


def test_the_record_check_finds_loose_returns():
    assert loose_parts(list[dict[str, Any]]) == [dict[str, Any]]
    assert loose_parts(dict[str, Any] | None) == [dict[str, Any]]
    assert loose_parts(dict[str, dict[str, Any]]) == [dict[str, Any]]
    assert loose_parts(Any) == [Any]

    @dataclasses.dataclass(frozen=True)
    class Elsewhere:
        name: str

    assert loose_parts(list[Elsewhere]) == [Elsewhere]
    assert loose_parts(dict[str, types.DraftPost]) == []
    assert loose_parts(tuple[types.Problem, ...] | None) == []
    assert loose_parts(tuple[int, int]) == []


def test_store_methods_return_records():
    loose = {}
    for name, method in inspect.getmembers(Store, inspect.isfunction):
        if name.startswith("_") or name in RAW_ROW_HELPERS:
            continue
        hints = typing.get_type_hints(method)
        assert "return" in hints, f"Store.{name} says nothing of what it returns"
        if loose_parts(hints["return"]):
            loose[name] = hints["return"]
    assert loose == {}


# HTTP client libraries, and the one module that hands httpx to the others.
HTTP_CLIENTS = {"httpx", "httpcore", "http.client", "urllib.request", "urllib3", "requests", "aiohttp",
                "amplify.fetch.http"}
# The modules that speak HTTP, all in the fetch package: httpx's loader, the connections on http.client, the client,
# the transfer of one request, and the JSON APIs (which build multipart bodies with httpx). The entry points in
# amplify/fetch/__init__.py call them and import none; addresses and target only open sockets and read URLs.
SPEAKS_HTTP = {"amplify.fetch.http", "amplify.fetch.connections", "amplify.fetch.client", "amplify.fetch.transfer",
               "amplify.fetch.api"}


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


# The sizes a newcomer can hold in mind: a module of at most 500 lines, a function of at most 60. A function that
# must be longer is listed here with the reason.
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
LONG_FUNCTIONS: dict[str, str] = {}


def test_no_module_is_over_500_lines():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    assert sizes["amplify.store.base"] > 100  # the walk reads the files
    assert {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES} == {}


def test_no_function_is_over_60_lines_without_a_reason():
    long = {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and f"{name}.{node.name}" not in LONG_FUNCTIONS:
                    long[f"{name}.{node.name}"] = lines
    assert long == {}
