"""Access to the official MCP schemas, for tests that check our code against them.

They live in ``../shared/spec/<revision>/schema.json`` beside the project (CI always has that
folder; a user's clone usually does not), or wherever ``MCPCORE_SPEC_DIR`` points. They are read
from there and never copied into the project. Tests that need them skip, saying why, when the
folder is missing.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SPEC_DIR = Path(os.environ.get("MCPCORE_SPEC_DIR", Path(__file__).resolve().parents[2] / "shared" / "spec"))

needs_spec = pytest.mark.skipif(
    not SPEC_DIR.is_dir(),
    reason=f"the official MCP schemas are not at {SPEC_DIR} (CI has them in ../shared/spec; "
    "set MCPCORE_SPEC_DIR to a copy of the spec repository's schema/ folder to run these tests)",
)


@cache
def definitions(revision: str) -> dict[str, Any]:
    """The definitions map of one revision's schema (``definitions`` or ``$defs``)."""
    schema = json.loads((SPEC_DIR / revision / "schema.json").read_text(encoding="utf-8"))
    defs: dict[str, Any] = schema.get("$defs") or schema["definitions"]
    return defs


def union_methods(revision: str, union: str) -> set[str]:
    """The ``method`` constants of the message types in a union such as ``ClientRequest``."""
    defs = definitions(revision)
    node = defs.get(union)
    if node is None:
        return set()
    refs = [entry["$ref"] for entry in node["anyOf"]] if "anyOf" in node else [f"#/x/{union}"]
    return {defs[ref.rsplit("/", 1)[-1]]["properties"]["method"]["const"] for ref in refs}
