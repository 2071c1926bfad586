"""Validation against the official JSON schemas, when the user has a copy of them.

``--schemas DIR`` points at a folder holding ``<revision>/schema.json`` for each revision (the
spec repository's ``schema/`` folder has that layout). The schemas are read from there, never
shipped with the suite. Validation needs the ``jsonschema`` package, an optional dependency
(``pip install 'mcpcore[conformance]'``); asking for schemas without it is a clear error.

Each message is checked twice: its envelope against ``JSONRPCMessage``, and its payload (the
whole request or notification, or a response's ``result``) against the definition for its
method. The schemas are used as published: a field they allow is allowed, so that a correct
implementation by anyone passes. (Our own models in ``conformance._models`` add the stricter
rule about fields of later revisions, as warnings.)
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from conformance._models import RESULTS

__all__ = ["SchemaError", "SchemaSet"]


class SchemaError(ValueError):
    """The schemas cannot be used: missing folder, unreadable file, no jsonschema."""


class SchemaSet:
    """The official schemas found under one folder, loaded on first use per revision."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SchemaError(f"--schemas: {self.folder} is not a folder")
        self.revisions = sorted(
            child.name for child in self.folder.iterdir() if (child / "schema.json").is_file()
        )
        if not self.revisions:
            raise SchemaError(f"--schemas: no <revision>/schema.json under {self.folder}")
        try:
            import jsonschema  # noqa: F401
        except ImportError:
            raise SchemaError(
                "--schemas needs the jsonschema package: pip install 'mcpcore[conformance]'"
            ) from None

    def has(self, revision: str) -> bool:
        return revision in self.revisions

    def problems(self, revision: str, message: Any, method: str | None) -> list[str]:
        """What the official schema of ``revision`` finds wrong with ``message`` (a response
        needs the ``method`` it answers)."""
        if not self.has(revision):
            return []
        found = _problems(self._validator(revision, "JSONRPCMessage"), message, "")
        if found or not isinstance(message, dict):
            return found
        name = message.get("method")
        if isinstance(name, str):
            definition = self._by_method(revision, name)
            if definition is None:
                return []  # a method the revision does not define: only the envelope applies
            return _problems(
                self._validator(revision, definition),
                self._payload(revision, definition, message),
                definition,
            )
        if "result" in message and method is not None:
            result = message["result"]
            kind = result.get("resultType") if isinstance(result, dict) else None
            # 2026-07-28: an input-required result answers a request in place of its own result.
            definition = "InputRequiredResult" if kind == "input_required" else RESULTS.get(method, "Result")
            if definition not in self._defs(revision):
                definition = "Result"
            return _problems(self._validator(revision, definition), message["result"], definition)
        return []

    @cache  # noqa: B019 (one SchemaSet per run)
    def _schema(self, revision: str) -> dict[str, Any]:
        path = self.folder / revision / "schema.json"
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaError(f"cannot read {path}: {exc}") from None
        if not isinstance(schema, dict):
            raise SchemaError(f"{path} is not a JSON schema")
        return schema

    def _defs(self, revision: str) -> dict[str, Any]:
        schema = self._schema(revision)
        defs = schema.get("$defs") or schema.get("definitions") or {}
        return defs if isinstance(defs, dict) else {}

    @cache  # noqa: B019
    def _validator(self, revision: str, definition: str) -> Any:
        import jsonschema

        schema = self._schema(revision)
        key = "$defs" if "$defs" in schema else "definitions"
        cls = jsonschema.validators.validator_for(schema)
        return cls({**schema, "$ref": f"#/{key}/{definition}"})

    @cache  # noqa: B019
    def _by_method(self, revision: str, method: str) -> str | None:
        for name, node in self._defs(revision).items():
            node_method = node.get("properties", {}).get("method", {}) if isinstance(node, dict) else {}
            if node_method.get("const") == method and name.endswith(("Request", "Notification")):
                return str(name)
        return None

    def _payload(self, revision: str, definition: str, message: dict[str, Any]) -> dict[str, Any]:
        # Before 2025-11-25 a request's definition holds only method and params; the envelope
        # fields belong to JSONRPCRequest.
        if "jsonrpc" in self._defs(revision)[definition].get("properties", {}):
            return message
        return {key: value for key, value in message.items() if key not in ("jsonrpc", "id")}


def _problems(validator: Any, value: Any, definition: str) -> list[str]:
    errors = sorted(validator.iter_errors(value), key=lambda error: list(error.absolute_path))
    where = f"{definition}: " if definition else ""
    out = []
    for error in errors[:5]:
        path = "/".join(str(part) for part in error.absolute_path) or "(top)"
        out.append(f"{where}{path}: {error.message[:300]}")
    return out
