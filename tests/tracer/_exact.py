"""The exactness check shared by the tracer tests: pruned tracer == brute-force oracle."""

import numpy as np

from radiomap.channel.tracer import trace_with_sequences


def assert_same_paths(scene, positions, *, max_order=2, scatterers=True, cull_db=None, cfr=True):
    """Same valid paths (kind, order, plane sequence), per-element lengths, gains, directions, LOS and CFR."""
    kw = {"max_order": max_order, "scatterers": scatterers, "cull_db": cull_db}
    ref, ref_seq = trace_with_sequences(scene, positions, method="brute", **kw)
    got, got_seq = trace_with_sequences(scene, positions, **kw)
    assert got.n_paths == ref.n_paths
    np.testing.assert_array_equal(got.valid, ref.valid)
    np.testing.assert_array_equal(got.los, ref.los)
    v = ref.valid
    np.testing.assert_array_equal(got_seq[v], ref_seq[v])
    np.testing.assert_array_equal(got.kind[v], ref.kind[v])
    np.testing.assert_array_equal(got.order[v], ref.order[v])
    np.testing.assert_allclose(got.length[v], ref.length[v], rtol=1e-12)
    np.testing.assert_allclose(got.element_length[v], ref.element_length[v], rtol=1e-12)
    np.testing.assert_allclose(got.gain[v], ref.gain[v], rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(got.departure[v], ref.departure[v], atol=1e-12)
    np.testing.assert_allclose(got.arrival[v], ref.arrival[v], atol=1e-12)
    if cfr:
        h_ref, h_got = ref.cfr(scene.ofdm), got.cfr(scene.ofdm)
        scale = np.abs(h_ref).max(axis=(2, 3), keepdims=True)
        assert (np.abs(h_got - h_ref) <= 1e-6 * scale).all()
    return ref
