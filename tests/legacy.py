"""The client pinned to the handshake era, for tests whose subject is that era.

Our :class:`~mcpcore.client.Client` detects the era by default, and our :class:`Server` speaks
both, so a default client talks 2026-07-28 to it. Tests of sessions, ``initialize``, ``ping``,
the GET stream, subscriptions or ``logging/setLevel`` import this one instead (the modern era
is tested in ``tests/test_modern_*.py``).
"""

from __future__ import annotations

from typing import Any

from mcpcore.client import Client
from mcpcore.revisions import HANDSHAKE_VERSIONS

__all__ = ["LegacyClient"]


class LegacyClient(Client):
    """A :class:`Client` offering the handshake revisions only, unless told otherwise."""

    def __init__(self, target: Any, **options: Any) -> None:
        options.setdefault("versions", HANDSHAKE_VERSIONS)
        super().__init__(target, **options)
