"""The scenarios. Importing this package registers every one of them with ``conformance._model``.

Server scenarios (``server_*`` modules) receive a ``ServerTest``; client scenarios
(``client_*`` modules) a ``ClientTest``. A new revision's rules arrive as new scenarios here,
or as wider ``revisions=`` of existing ones.
"""

from __future__ import annotations

import importlib
import pkgutil


def _import_all() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_all()
