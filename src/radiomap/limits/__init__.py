"""Physical limits: Cramer-Rao / position-error bounds from the channel model."""

from radiomap.limits.peb import fisher_information, position_error_bound, snr_position_error_bound

__all__ = ["fisher_information", "position_error_bound", "snr_position_error_bound"]
