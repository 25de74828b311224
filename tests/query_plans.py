"""What SQLite's query planner chose, read so that it holds across SQLite versions.

`EXPLAIN QUERY PLAN` wording changed over the years: "SCAN TABLE items AS i" became "SCAN i", "SEARCH TABLE" became
"SEARCH". Tests ask about what the plan does (which tables it reads in full, which indexes it uses), never about
its wording.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from amplify.store import Store

# SCAN|SEARCH [TABLE] name [AS alias] [rest]; the name is the alias alone in newer versions.
_STEP = re.compile(r"^(?P<op>SCAN|SEARCH)(?: TABLE)? (?P<name>\S+)(?: AS (?P<alias>\S+))?(?P<rest>.*)$")
_INDEX = re.compile(r"USING (?:COVERING |INTEGER PRIMARY KEY|PRIMARY KEY)?(?:INDEX (?P<index>\S+))?")


@dataclass(frozen=True)
class Plan:
    scanned: frozenset[str]  # tables (and their aliases) read from first row to last
    indexes: frozenset[str]  # every index a step uses
    virtual: bool  # a virtual table (FTS5) answers part of it
    steps: tuple[str, ...]  # the wording, for a failure message only


def query_plan(store: Store, sql: str, params: Any = ()) -> Plan:
    return read_plan(str(row[-1]) for row in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def read_plan(details: Iterable[str]) -> Plan:
    """A plan from the `detail` column of EXPLAIN QUERY PLAN, in any SQLite's wording."""
    scanned: set[str] = set()
    indexes: set[str] = set()
    virtual = False
    steps = tuple(details)
    for step in steps:
        match = _STEP.match(step)
        if match is None:
            continue
        names = {match["name"], match["alias"]} - {None}
        rest = match["rest"]
        if "VIRTUAL TABLE" in rest:
            virtual = True
            continue
        index = _INDEX.search(rest)
        if index and index["index"]:
            indexes.add(index["index"])
        if match["op"] == "SCAN" and match["name"] != "CONSTANT":
            scanned |= names
    return Plan(frozenset(scanned), frozenset(indexes), virtual, steps)
