"""Evaluation: metrics, breakdowns (region, distance ring), timing, plots, report writer.

``metrics`` and ``report`` import no plotting code; ``plots`` imports Matplotlib on use.
"""

from radiomap.eval.breakdown import by_distance_ring, by_region, classification_table
from radiomap.eval.metrics import (
    accuracy,
    confusion_matrix,
    empirical_cdf,
    error_summary,
    position_errors,
)
from radiomap.eval.report import Report, machine_info

__all__ = [
    "Report",
    "accuracy",
    "by_distance_ring",
    "by_region",
    "classification_table",
    "confusion_matrix",
    "empirical_cdf",
    "error_summary",
    "machine_info",
    "position_errors",
]
