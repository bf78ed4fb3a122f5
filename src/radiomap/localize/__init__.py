"""Localizers: the contract (``Localizer``, on ``Estimator``), the tables of methods (``LOCALIZERS``, and
``DIRECTIONS`` for the motion-direction task) and every method.

Methods are imported on first use (``LOCALIZERS.get(name)``), so importing this package stays cheap.
"""

from radiomap.localize.base import Estimator, Localizer, get_estimator, get_localizer, load_estimator
from radiomap.localize.methods import DIRECTIONS, LOCALIZERS, TASKS, task_of

__all__ = ["DIRECTIONS", "LOCALIZERS", "TASKS", "Estimator", "Localizer", "get_estimator", "get_localizer",
           "load_estimator", "task_of"]
