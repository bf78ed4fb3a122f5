"""One small registry mechanism for scenes, localizers and experiments.

Example
-------
>>> LOCALIZERS = Registry("localizer")
>>> @LOCALIZERS.register("knn")
... class KNN: ...
>>> LOCALIZERS.get("knn") is KNN
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

from radiomap.errors import RadiomapError


class Registry:
    """Name -> object map. Entries are objects or lazy ``"module:attr"`` strings.

    Looking up an unknown name raises an error that lists the known ones.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Any] = {}

    def register(self, name: str, obj: Any = None) -> Callable[[Any], Any] | Any:
        """Register ``obj`` under ``name``; without ``obj`` acts as a decorator."""
        if obj is not None:
            self._entries[name] = obj
            return obj

        def decorator(o: Any) -> Any:
            self._entries[name] = o
            return o

        return decorator

    def register_lazy(self, name: str, target: str) -> None:
        """Register ``"package.module:attr"``, imported on first lookup."""
        self._entries[name] = target

    def get(self, name: str) -> Any:
        if name not in self._entries:
            known = ", ".join(sorted(self._entries)) or "none"
            raise RadiomapError(f"unknown {self.kind} {name!r}; known: {known}")
        entry = self._entries[name]
        if isinstance(entry, str) and ":" in entry:
            module, attr = entry.split(":")
            entry = getattr(importlib.import_module(module), attr)
            self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
