"""Features computed from CSI: pure, batched functions over samples and APs.

- ``power.rss_db``: received power per AP (dB).
- ``music.music_angle``: MUSIC cone angle of the dominant path per AP (rad).
- ``delay.frequency_selectivity``, ``delay.mean_delay``, ``delay.rms_delay_spread``.
- ``seed000.seed000_features`` / ``seed000.feature_matrix``: the seed 000 feature vector.
- ``beamspace``: beamspace / triple-beam fingerprints (issue 6), imported on demand.
"""

from radiomap.features.delay import frequency_selectivity, mean_delay, rms_delay_spread
from radiomap.features.music import local_to_global, music_angle
from radiomap.features.power import rss_db
from radiomap.features.seed000 import feature_matrix, seed000_features

__all__ = [
    "feature_matrix",
    "frequency_selectivity",
    "local_to_global",
    "mean_delay",
    "music_angle",
    "rms_delay_spread",
    "rss_db",
    "seed000_features",
]
