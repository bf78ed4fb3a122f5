"""The one registry mechanism: localizers, features, experiments, import formats.

Each registry is created with its complete table ``{name: "package.module:attr"}``, written once,
where the kind is defined (e.g. ``radiomap/localize/__init__.py``). Modules are imported on first
lookup, so listing names is free. A class finds its own registry name with :meth:`Registry.name_of`
(the table is the only place a name is written).

Example
-------
>>> REG = Registry("thing", {"json": "json:JSONDecoder"})
>>> REG.names()
['json']
>>> REG.get("json").__name__
'JSONDecoder'
>>> REG.name_of(REG.get("json"))
'json'
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from radiomap.errors import RadiomapError


class Registry:
    """Name -> lazily imported object.

    Input
    -----
    kind : what the entries are (used in messages: "unknown localizer 'x'; known: ...")
    table : {name: "package.module:attr"}; more entries can be added with :meth:`register`
    """

    def __init__(self, kind: str, table: Mapping[str, str] | None = None):
        self.kind = kind
        self._targets: dict[str, str] = {}
        self._loaded: dict[str, Any] = {}
        for name, target in (table or {}).items():
            self.register(name, target)

    def register(self, name: str, target: str) -> None:
        """Add ``name`` -> ``"package.module:attr"`` (e.g. a plug-in method of the user's own)."""
        if ":" not in target:
            raise RadiomapError(f"{self.kind} {name!r}: target {target!r} is not 'package.module:attr'")
        if name in self._targets and self._targets[name] != target:
            raise RadiomapError(f"{self.kind} {name!r} is already registered as {self._targets[name]}")
        self._targets[name] = target

    def get(self, name: str) -> Any:
        """The object registered as ``name`` (imported on first use)."""
        if name not in self._targets:
            known = ", ".join(self.names()) or "none"
            raise RadiomapError(f"unknown {self.kind} {name!r}; known: {known}")
        if name not in self._loaded:
            module, attr = self._targets[name].split(":")
            self._loaded[name] = getattr(importlib.import_module(module), attr)
        return self._loaded[name]

    def name_of(self, obj: Any) -> str | None:
        """The name under which ``obj`` (a class or function) is registered, without importing anything."""
        key = f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '')}"
        for name, target in self._targets.items():
            if target == key:
                return name
        return None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._targets)

    def __contains__(self, name: str) -> bool:
        return name in self._targets

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
