"""Localizers: the contract (``Localizer``, on ``Estimator``), the tables of methods (``LOCALIZERS``, and
``DIRECTIONS`` for the motion-direction task) and every method.

Methods are imported on first use (``LOCALIZERS.get(name)``), so importing this package stays cheap.
"""

from radiomap.localize.base import Estimator, Localizer, get_localizer
from radiomap.localize.methods import DIRECTIONS, LOCALIZERS

__all__ = ["DIRECTIONS", "LOCALIZERS", "Estimator", "Localizer", "get_localizer"]
