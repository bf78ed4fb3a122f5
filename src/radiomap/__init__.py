"""radiomap: radio maps and CSI-based localization for MIMO-OFDM networks.

The flow is one-directional: ``scene`` -> ``channel`` (simulators) -> ``data`` (CSIDataset)
-> ``features`` -> ``localize`` -> ``eval``. ``experiments`` wires stages into the seed
papers' reproductions and ``cli`` is a thin shell over them.
"""

__version__ = "0.1.0"

SPEED_OF_LIGHT = 299_792_458.0
"""Speed of light in vacuum (m/s)."""
