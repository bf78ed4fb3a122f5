"""Seed 000: unsupervised radio map by second-order HMM trajectory recovery, and the GMA baseline.

Modules: ``grid`` (cells, reachable moves), ``propagation`` (LOS/NLOS power/angle/delay models,
WLS), ``regions`` (per-AP LOS maps with a spatial prior, exact min-cut), ``mobility``
(Gauss-Markov), ``likelihood`` (the joint objective), ``viterbi`` (second-order Viterbi),
``fit`` (alternating optimisation), ``radiomap`` (the map: save/load/plot), ``export`` (HDF5 + PNG
for other tools), ``model`` (localizers).
"""

from radiomap.localize.hmm.export import export_radio_map, write_radio_map_h5
from radiomap.localize.hmm.model import GMA, HMMRadioMap
from radiomap.localize.hmm.radiomap import RadioMap

__all__ = ["GMA", "HMMRadioMap", "RadioMap", "export_radio_map", "write_radio_map_h5"]
