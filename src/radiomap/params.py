"""Declared hyper-parameter constraints (scikit-learn's ``_parameter_constraints`` idea).

A method declares once, per parameter, what values it accepts and one line of help; the same
declaration validates ``-p key=value`` on the command line before any work, validates the Python
API at ``fit``, and documents the method (``radiomap methods``).

Example
-------
>>> spec = {"k": Param(Interval(int, 1, None), "neighbours"), "inputs": Param(Options("csi", "seed000"), "")}
>>> validate_params(spec, {"k": 4}, owner="knn")
{'k': 4}
>>> validate_params(spec, {"k": 2.5}, owner="knn")
Traceback (most recent call last):
...
radiomap.errors.ParameterError: knn: k=2.5 is not valid; expected an integer >= 1
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from radiomap.errors import ParameterError


class Constraint(ABC):
    """One rule for a parameter value: ``coerce`` returns the accepted value or raises ``ValueError``."""

    @abstractmethod
    def coerce(self, value: Any) -> Any:
        """The accepted (possibly converted) value; ``ValueError`` if rejected."""

    @abstractmethod
    def describe(self) -> str:
        """What is accepted, as a phrase ("an integer >= 1")."""


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of ``kind`` (int or float) in ``[low, high]`` (``closed`` says which ends are included)."""

    kind: type
    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError
        if self.kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ValueError
        lo_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        hi_ok = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        if not (lo_ok and hi_ok):
            raise ValueError
        return value

    def describe(self) -> str:
        name = "an integer" if self.kind is int else "a number"
        lo_op = ">=" if self.closed in ("both", "left") else ">"
        hi_op = "<=" if self.closed in ("both", "right") else "<"
        if self.low is not None and self.high is not None:
            return f"{name} {lo_op} {_num(self.low)} and {hi_op} {_num(self.high)}"
        if self.low is not None:
            return f"{name} {lo_op} {_num(self.low)}"
        if self.high is not None:
            return f"{name} {hi_op} {_num(self.high)}"
        return name


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values."""

    values: tuple

    def __init__(self, *values: Any):
        object.__setattr__(self, "values", tuple(values))

    def coerce(self, value: Any) -> Any:
        for v in self.values:
            if type(value) is type(v) and value == v:
                return value
        raise ValueError

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@dataclass(frozen=True)
class Boolean(Constraint):
    """True or False."""

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError
        return value

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Pattern(Constraint):
    """A string matching ``regex`` (whole string); ``help`` says what it means."""

    regex: str
    help: str

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, str) or re.fullmatch(self.regex, value) is None:
            raise ValueError
        return value

    def describe(self) -> str:
        return self.help


@dataclass(frozen=True)
class Sequence(Constraint):
    """A tuple (a list is accepted) of ``min_len``..``max_len`` items, each accepted by ``item``."""

    item: Constraint
    min_len: int = 1
    max_len: int | None = None

    def coerce(self, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError
        if len(value) < self.min_len or (self.max_len is not None and len(value) > self.max_len):
            raise ValueError
        return tuple(self.item.coerce(v) for v in value)

    def describe(self) -> str:
        size = f"{self.min_len}+" if self.max_len is None else (
            str(self.min_len) if self.min_len == self.max_len else f"{self.min_len}-{self.max_len}")
        return f"a list of {size} items, each {self.item.describe()}"


@dataclass(frozen=True)
class AnyOf(Constraint):
    """Accepted by the first of ``options`` that accepts it (e.g. a number or the string "scale")."""

    options: tuple

    def __init__(self, *options: Constraint):
        object.__setattr__(self, "options", tuple(options))

    def coerce(self, value: Any) -> Any:
        for c in self.options:
            try:
                return c.coerce(value)
            except ValueError:
                continue
        raise ValueError

    def describe(self) -> str:
        return " or ".join(c.describe() for c in self.options)


@dataclass(frozen=True)
class NoneValue(Constraint):
    """``None`` (JSON ``null``), e.g. 'no limit' or 'automatic'."""

    meaning: str = "none"

    def coerce(self, value: Any) -> Any:
        if value is not None:
            raise ValueError
        return None

    def describe(self) -> str:
        return f"null ({self.meaning})"


@dataclass(frozen=True)
class Param:
    """A declared hyper-parameter: its constraint and one line of help."""

    constraint: Constraint
    help: str = ""


def validate_params(spec: Mapping[str, Param], params: Mapping[str, Any], *, owner: str) -> dict[str, Any]:
    """Check every value of ``params`` against ``spec``; return the coerced values (lists -> tuples).

    Unknown names and rejected values raise one ``ParameterError`` line naming the parameter, the
    value and what is expected.
    """
    out = {}
    for name, value in params.items():
        if name not in spec:
            known = ", ".join(sorted(spec)) or "none"
            raise ParameterError(f"{owner} has no parameter {name!r}; parameters: {known}")
        try:
            out[name] = spec[name].constraint.coerce(value)
        except ValueError:
            raise ParameterError(f"{owner}: {name}={_show(value)} is not valid; expected "
                                 f"{spec[name].constraint.describe()}") from None
    return out


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _num(x: float) -> str:
    return f"{x:g}"
