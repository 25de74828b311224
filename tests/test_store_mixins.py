"""The store's mixins stand on StoreBase alone: none imports another mixin's module or calls its methods."""

import ast
from pathlib import Path

import amplify.store

STORE = Path(amplify.store.__file__).parent
SHARED = {"amplify.store.base", "amplify.store.schema"}
MIXIN_MODULES = sorted(path for path in STORE.glob("*.py") if path.stem not in {"__init__", "base", "schema"})


def _classes(path: Path) -> list[ast.ClassDef]:
    return [node for node in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(node, ast.ClassDef)]


def _defined(cls: ast.ClassDef) -> set[str]:
    return {node.name for node in cls.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_area_of_the_store_is_checked():
    assert {path.stem for path in MIXIN_MODULES} >= {"audit", "drafts", "follows", "ingest", "review", "shares",
                                                      "sources"}


def test_a_mixin_module_imports_only_the_base_and_the_schema_of_the_store():
    crossing = []
    for path in MIXIN_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("amplify.store") and module not in SHARED:
                crossing.append(f"{path.name} imports {module}")
    assert crossing == []


def test_a_mixin_calls_only_its_own_methods_and_the_base_classes():
    base = {name for cls in _classes(STORE / "base.py") if cls.name == "StoreBase" for name in _defined(cls)}
    crossing = []
    for path in MIXIN_MODULES:
        for cls in _classes(path):
            if not cls.name.endswith("Queries"):
                continue
            assert [getattr(parent, "id", None) for parent in cls.bases] == ["StoreBase"], cls.name
            own = _defined(cls)
            for node in ast.walk(cls):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                        and node.func.attr not in own | base):
                    crossing.append(f"{cls.name} calls self.{node.func.attr}")
    assert crossing == []
