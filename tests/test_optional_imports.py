"""optional_imports.skipping: an extra a library would load is absent inside the block, and only there."""

import importlib
import sys

import pytest

from amplify.optional_imports import skipping


def test_a_skipped_module_cannot_be_imported_inside_the_block_and_can_after(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    with skipping("colorsys"), pytest.raises(ImportError):
        importlib.import_module("colorsys")
    assert "colorsys" not in sys.modules
    assert importlib.import_module("colorsys").rgb_to_hsv(1, 0, 0) == (0, 1, 1)


def test_a_module_already_imported_is_left_alone():
    import json

    with skipping("json"):
        assert importlib.import_module("json") is json
    assert sys.modules["json"] is json
