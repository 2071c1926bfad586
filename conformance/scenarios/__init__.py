"""The scenarios. Importing this package registers every one of them with ``conformance._model``.

Server scenarios (``server_*`` modules) receive a ``ServerTest``; client scenarios
(``client_*`` modules) a ``ClientTest``. A new revision's rules arrive as new scenarios here,
or as wider ``revisions=`` of existing ones.
"""

from __future__ import annotations

import importlib
import pkgutil

# The order of the report: the lifecycle first, then messages, features, and transports.
_FIRST = (
    "server_lifecycle",
    "server_jsonrpc",
    "server_tools",
    "server_resources",
    "server_prompts",
    "server_pagination",
    "server_utilities",
    "server_client_features",
    "server_stdio",
    "server_http",
)


def _import_all() -> None:
    names = [module.name for module in pkgutil.iter_modules(__path__) if not module.name.startswith("_")]
    ordered = [name for name in _FIRST if name in names] + sorted(n for n in names if n not in _FIRST)
    for name in ordered:
        importlib.import_module(f"{__name__}.{name}")


_import_all()
