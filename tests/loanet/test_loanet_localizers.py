"""LOA-Net localizers end to end on a tiny zhao-tbf dataset: registry, fit/predict, save/load,
the closed-form TBF against the foundation's CFR, direction helpers."""

import dataclasses

import numpy as np
import pytest
import torch

from radiomap.channel import trace
from radiomap.eval import position_errors
from radiomap.experiments import zhao2026 as z
from radiomap.features import beamspace as bs
from radiomap.localize import DIRECTIONS, LOCALIZERS, Localizer
from radiomap.localize.loanet.direction import (
    class_to_heading,
    continuous_csi_direction,
    heading_to_class,
    matched_template_classes,
)
from radiomap.scene import get_scene
from radiomap.scene.elements import OFDM

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tiny():
    scene = get_scene("zhao-tbf")
    rng = np.random.default_rng(0)
    pos = scene.grid(5.0)
    vel = z.random_headings(len(pos), 5 / 3.6, rng)
    params, _ = z.trace_params(scene, pos, vel)
    ds = z.fingerprint_dataset(scene, params, pos, vel, n_taps=16, eta=0.01, snr_db=20.0, rng=rng, meta={})
    return scene, ds


def test_closed_form_tbf_matches_foundation_cfr_per_path():
    """E|G|^2 from the traced paths == sum over paths of |G_l|^2 from paths.cfr(plane) (1e-5 relative)."""
    scene = get_scene("zhao-tbf")
    small = dataclasses.replace(scene, ofdm=OFDM(5.8e9, 30.72e6, 64, n_symbols=8, cp_samples=16))
    pos = np.array([[7.3, -4.1, 1.5], [-12.0, 15.5, 7.5]])
    vel = np.array([[30.0, 10.0, 0.0], [-5.0, 20.0, 0.0]])
    paths = trace(small, pos, velocity=vel)
    shape = bs.TBShape(16, 8, 64, 16, 8)
    omega = bs.tbf_from_params(bs.beam_params_from_paths(paths, small), shape)
    acc = np.zeros_like(omega)
    for l in range(paths.n_paths):
        g = np.zeros_like(paths.gain)
        g[:, :, l] = paths.gain[:, :, l]
        h = dataclasses.replace(paths, gain=g).cfr(small.ofdm, wavefront="plane", n_symbols=8)[:, 0]
        acc += np.abs(bs.triple_beam(h.astype(np.complex128), shape)) ** 2
    assert np.max(np.abs(acc - omega)) / np.max(omega) < 1e-5


def test_dataset_stores_compact_features(tiny, tmp_path):
    _, ds = tiny
    assert ds.csi is None
    f = {k.rsplit(".", 1)[1]: v for k, v in ds.features.items()}
    assert sorted(ds.features) == ["tbf(n_taps=16).mask", "tbf(n_taps=16).x_ad", "tbf(n_taps=16).x_d"]
    assert f["x_ad"].dtype == np.float16 and f["x_ad"].shape[1:] == (128, 16)
    assert f["mask"].dtype == np.uint8 and f["x_d"].shape[1:] == (112,)
    from radiomap.data import CSIDataset

    back = CSIDataset.load(ds.save(tmp_path / "tbf.h5") or tmp_path / "tbf.h5")
    np.testing.assert_array_equal(back.features["tbf(n_taps=16).x_ad"], f["x_ad"])


@pytest.mark.parametrize("name", ["wknn-tbf", "cnn2d", "cnn3d", "loanet"])
def test_localizer_fit_predict_save_load(tiny, tmp_path, name):
    _, ds = tiny
    cls = LOCALIZERS.get(name)
    loc = cls() if name == "wknn-tbf" else cls(epochs=15, patience=15, batch_size=8, lr=1e-3)
    loc.fit(ds)
    pred = loc.predict(ds)
    assert pred.shape == (ds.n_samples, 3)
    centroid = position_errors(np.broadcast_to(ds.positions.mean(0), pred.shape), ds.positions, dims=3).mean()
    err = position_errors(pred, ds.positions, dims=3).mean()
    if name == "wknn-tbf":  # every training fingerprint is its own nearest neighbour
        assert err < 0.01 * centroid
    else:
        hist = loc.fit_info_.training["regressor"]["history"]
        assert hist[-1]["train"] < 0.8 * hist[0]["train"] and err < centroid
    back = Localizer.load(loc.save(tmp_path / name))
    np.testing.assert_allclose(back.predict(ds), pred, atol=1e-4)


def test_direction_estimator_fits_predicts_and_round_trips(tiny, tmp_path):
    _, ds = tiny
    tdc = DIRECTIONS.get("fusion-tdc")(epochs=2).fit(ds)
    pred = tdc.predict(ds)
    assert pred.shape == (ds.n_samples,) and pred.min() >= 0 and pred.max() < tdc.n_classes
    assert tdc.fit_info_.iterations == 2 and tdc.network_cost()["params (M)"] > 0
    shifted = ds.positions + 0.5
    assert tdc.predict_proba(ds, coordinates=shifted).shape == (ds.n_samples, tdc.n_classes)
    back = type(tdc).load(tdc.save(tmp_path / "tdc"))
    np.testing.assert_array_equal(back.predict(ds), pred)
    np.testing.assert_array_equal(back.predict(ds, coordinates=shifted), tdc.predict(ds, coordinates=shifted))


def test_direction_classes():
    ang = np.deg2rad([0.0, 11.0, 12.0, 90.0, 180.0, -22.5, 350.0])
    v = np.column_stack([np.cos(ang), np.sin(ang), np.zeros_like(ang)])
    np.testing.assert_array_equal(heading_to_class(v), [0, 0, 1, 4, 8, 15, 0])
    c = np.arange(16)
    h = class_to_heading(c)
    np.testing.assert_array_equal(heading_to_class(np.column_stack([np.cos(h), np.sin(h)])), c)
    p1 = np.zeros((3, 3))
    p2 = np.array([[1.0, 0, 0], [0, 2.0, 0], [-1.0, -1.0, 5.0]])
    np.testing.assert_array_equal(continuous_csi_direction(p1, p2), [0, 4, 10])


def test_matched_template_recovers_the_heading_of_a_two_path_profile():
    """Profiles of a LOS path plus a side scatterer at sub-bin Doppler: matching against the
    per-heading templates returns the planted class; a mirrored heading is told apart only
    through the scatterer (with the LOS path alone, headings +h and -h give one profile)."""
    shape = bs.TBShape(2, 1, 8, 4, 112)
    n_k = 64
    ang = np.arange(n_k) * 2 * np.pi / n_k
    arrival = np.array([[1.0, 0.0, 0.0], [0.3, 0.95, 0.0]])  # unit directions of the two paths
    speed_cycles = 0.2 / shape.n_t  # 0.2 bin at full speed: far below the Doppler resolution

    def profiles(power):
        nu = -np.einsum("lc,kc->kl", arrival, np.column_stack([np.cos(ang), np.sin(ang), np.zeros(n_k)]))
        w = np.tile(np.asarray(power, dtype=np.float64), (n_k, 1))
        return bs.doppler_profile(bs.doppler_profile_from_weights(w, nu * speed_cycles, shape))

    cls = heading_to_class(np.column_stack([np.cos(ang), np.sin(ang)]))
    rich = profiles([1.0, 0.3])
    pred = matched_template_classes(rich, np.broadcast_to(rich, (n_k,) + rich.shape), cls)
    np.testing.assert_array_equal(pred, cls)
    mirror = (n_k - np.arange(n_k)) % n_k  # heading -h
    los_only = profiles([1.0, 0.0])  # cos(heading) only: +h and -h give the same profile
    np.testing.assert_allclose(los_only, los_only[mirror], rtol=1e-6, atol=1e-12)
    gap = np.abs(rich - rich[mirror]).max(1) / rich.max(1)
    assert gap[[k for k in range(n_k) if k not in (0, n_k // 2)]].min() > 1e-4


def test_doppler_from_velocity_matches_tracer():
    scene = get_scene("zhao-tbf")
    pos = np.array([[3.0, 4.0, 1.5], [-10.0, 2.0, 4.5]])
    vel = np.array([[1.0, -0.5, 0.0], [0.0, 1.4, 0.0]])
    p_v = bs.beam_params_from_paths(trace(scene, pos, velocity=vel), scene)
    paths = trace(scene, pos)
    p0 = bs.beam_params_from_paths(paths, scene)
    np.testing.assert_allclose(z.with_velocity(scene, paths, p0, vel).nu, p_v.nu, atol=1e-12)


def test_features_from_sft_csi_match_tensor_route():
    """A dataset holding SFT CSI [N, 1, N_a, K, S] gets X_AD / X_D through the tensor route."""
    from radiomap.data import CSIDataset
    from radiomap.features.stage import extract_parts

    scene = get_scene("zhao-tbf")
    small = dataclasses.replace(scene, ofdm=OFDM(5.8e9, 30.72e6, 32, n_symbols=4, cp_samples=8))
    pos = np.array([[4.0, -6.0, 1.5], [-9.0, 3.0, 4.5]])
    paths = trace(small, pos, velocity=np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]))
    csi = paths.cfr(small.ofdm, wavefront="plane", n_symbols=4)
    ds = CSIDataset(csi, positions=pos, meta={"scene": small.to_dict()})
    f = extract_parts(ds, "tbf")
    g = np.abs(bs.triple_beam(csi[:, 0].astype(np.complex128), bs.TBShape(16, 8, 32, 8, 4))) ** 2
    np.testing.assert_allclose(f["x_ad"], bs.angle_delay_image(g.sum(-1)), rtol=1e-3, atol=1e-3)  # float16
    np.testing.assert_allclose(f["x_d"], bs.doppler_profile(g.sum((1, 2))), rtol=1e-4, atol=1e-6)
    assert f["mask"].shape == f["x_ad"].shape


def test_zhao2026_runs_end_to_end_at_a_tiny_size(tmp_path):
    st = z.Settings("cpu", grid_m=8.0, n_test=24, n_dir_train_pos=12, speeds_kmh=(5.0, 30.0),
                    snrs_db=(0.0, 20.0), budget_reg_s=1.0, budget_tdc_s=1.0)
    before = torch.get_num_threads()
    rep = z.run(tmp_path / "zhao", settings=st, progress=False)
    assert torch.get_num_threads() == before  # the thread count is restored
    rows = {r["method"]: r for r in rep.tables["localization"]["rows"]}
    assert set(rows) == {"wknn-tbf", "cnn2d", "cnn3d", "ec-maskdetr", "de-maskdetr", "centroid"}
    speeds = [r["speed (km/h)"] for r in rep.tables["table6_direction_vs_speed"]["rows"]]
    assert speeds == [5.0, 30.0]
    t7 = rep.tables["table7_direction_vs_snr"]["rows"]
    assert [(r["speed (km/h)"], r["SNR (dB)"]) for r in t7] == [(5.0, 0.0), (5.0, 20.0), (30.0, 0.0), (30.0, 20.0)]
    assert all(0 <= r["template ceiling (%)"] <= 100 and 0 <= r["Fusion-TDC accuracy (%)"] <= 100 for r in t7)
    curves = {r["method"]: r for r in rep.tables["training_localization"]["rows"]}
    assert set(curves) == {"cnn2d", "cnn3d", "ec-maskdetr", "de-maskdetr"}
    assert all(r["epochs"] >= 1 and r["stopped"] for r in curves.values())
    assert (tmp_path / "zhao" / "learning_curves.png").is_file()
    assert all(r["MFLOPs"] > 0 for r in rep.tables["table8_complexity"]["rows"])
    assert (tmp_path / "zhao" / "report.html").is_file()
