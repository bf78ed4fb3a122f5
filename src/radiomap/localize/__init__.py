"""Localizers: the contract (``Localizer``), the table of methods (``LOCALIZERS``) and every method.

Methods are imported on first use (``LOCALIZERS.get(name)``), so importing this package stays cheap.
"""

from radiomap.localize.base import Localizer, get_localizer
from radiomap.localize.methods import LOCALIZERS

__all__ = ["LOCALIZERS", "Localizer", "get_localizer"]
