"""seed000_features / feature_matrix: layout and options."""

import numpy as np
import pytest

from radiomap.errors import ParameterError
from radiomap.features import (
    feature_matrix,
    frequency_selectivity,
    music_angle,
    rms_delay_spread,
    rss_db,
    seed000_features,
)

from .test_music_scene import CONES, make_scene, planted_points, synth_csi


def test_layout_and_delay_options():
    scene = make_scene()
    pts = planted_points(scene.aps[0], CONES[2:8])
    csi = synth_csi(scene, pts, snr_db=20.0)
    f = seed000_features(csi, scene)
    np.testing.assert_array_equal(f["power"], rss_db(csi))
    np.testing.assert_array_equal(f["angle"], music_angle(csi, scene))
    np.testing.assert_array_equal(f["delay"], frequency_selectivity(csi))
    x = feature_matrix(csi, scene)
    assert x.shape == (len(pts), 3 * len(scene.aps))
    np.testing.assert_array_equal(x[:, 4:8], f["angle"])
    rms = seed000_features(csi, scene, delay="rms")["delay"]
    np.testing.assert_array_equal(rms, rms_delay_spread(csi, scene.ofdm.bandwidth_hz))
    with pytest.raises(ParameterError, match="delay="):
        seed000_features(csi, scene, delay="kurtosis")
