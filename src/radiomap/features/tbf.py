"""The registered ``tbf`` feature: seed 002's compact triple-beam fingerprint inputs (SPEC section 4.3).

Three arrays per sample, stored under ``tbf.x_ad``, ``tbf.mask`` and ``tbf.x_d`` (``tbf(n_taps=16).x_ad`` ...
for other parameters, :func:`radiomap.features.stage.part_keys`):

- ``x_ad`` float16 ``[N, A, G]``: the angle-delay image ``X_AD = sum over Doppler of Omega``, peak-normalised
  (eq. 28), ``A = N_h N_v`` beams, the first ``G = n_taps`` delay taps;
- ``mask`` uint8 ``[N, A, G]``: ``1[X_AD > eta]`` (eq. 29);
- ``x_d`` float32 ``[N, T]``: the Doppler profile ``X_D`` over all taps inside the cyclic prefix,
  peak-normalised (eq. 30), ``T`` OFDM symbols of the frame (float32: its side lobes, far below float16's
  range, carry the sub-bin Doppler).

Two routes. From ground-truth paths (``ds.paths``, e.g. ``simulate_dataset(..., csi=False, store_paths=True)``),
the closed form (:func:`tbf_from_beam_params` on :func:`radiomap.features.beamspace.compact_tbf`): the
expected TB power of eq. 20, never the ``N_a x K x S`` SFT tensor, plus one frame of AWGN in distribution at
the dataset's SNR (``meta["noise"]["snr_db"]``; noiseless without one), drawn from ``meta["seed"]``
and the samples' positions (chunks of one file draw different noise). From SFT
CSI ``[N, 1, N_a, K(, S)]`` (small sizes), the tensor route: ``|G|^2`` of the measured frame
(:func:`radiomap.features.beamspace.triple_beam`), whose noise is the CSI's own.
"""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np

from radiomap.channel.paths import Paths
from radiomap.errors import DataError, ParameterError
from radiomap.features import beamspace as bs
from radiomap.features.stage import FEATURES, Feature, extract_parts, parse_feature, part_keys
from radiomap.params import AnyOf, Interval, NoneValue, Param

PARTS = ("x_ad", "mask", "x_d")
"""The arrays of the ``tbf`` feature."""


def tb_shapes(scene, n_taps: int | None = None) -> tuple[bs.TBShape, bs.TBShape]:
    """TB-domain sizes of ``scene``'s first AP and numerology.

    Parameters
    ----------
    scene : Scene
        Its first AP's array (UPA or ULA) and its ``ofdm`` (subcarriers, CP samples, symbols).
    n_taps : int or None
        Delay taps of ``X_AD`` (None: every tap inside the cyclic prefix).

    Returns
    -------
    (TBShape, TBShape)
        The shape of ``X_AD`` (``n_g = min(n_taps, CP)``) and the shape with the whole CP, for ``X_D``.
    """
    n_h, n_v = bs.array_shape(scene.aps[0].array)
    o = scene.ofdm
    cp = int(o.cp_samples) or o.n_subcarriers
    n_g = cp if n_taps is None else min(int(n_taps), cp)
    return (bs.TBShape(n_h, n_v, o.n_subcarriers, n_g, o.n_symbols),
            bs.TBShape(n_h, n_v, o.n_subcarriers, cp, o.n_symbols))


def tbf_from_beam_params(params: bs.BeamParams, scene, *, n_taps: int | None = None, eta: float = 0.01,
                         snr_db=None, rng: np.random.Generator | None = None,
                         angle_delay: bool = True) -> dict[str, np.ndarray]:
    """The ``tbf`` arrays of paths given by their beam parameters (closed form, eq. 20 and 28-30).

    Parameters
    ----------
    params : BeamParams [N, L]
        Normalised per-path parameters (:func:`radiomap.features.beamspace.beam_params_from_paths`).
    scene : Scene
        Array and numerology (:func:`tb_shapes`).
    n_taps : int or None
        Delay taps kept in ``X_AD`` (None: the whole cyclic prefix).
    eta : float
        Mask threshold on the peak-normalised ``X_AD``, in ``[0, 1)``.
    snr_db : float, ndarray [N] or None
        Per-sample SNR (dB) of one frame of AWGN, added in distribution; None: noiseless.
    rng : numpy.random.Generator or None
        Noise source (required with ``snr_db``).
    angle_delay : bool
        False: only ``x_d`` (the direction task needs no ``X_AD``).

    Returns
    -------
    dict[str, ndarray]
        ``x_ad`` float16 [N, A, G], ``mask`` uint8 [N, A, G] (when ``angle_delay``), ``x_d`` float32 [N, T].
    """
    shape_ad, shape_d = tb_shapes(scene, n_taps)
    _, x_d = bs.compact_tbf(params, shape_d, snr_db=snr_db, rng=rng, angle_delay=False)
    if not angle_delay:
        return {"x_d": bs.doppler_profile(x_d)}
    x_ad, _ = bs.compact_tbf(params, shape_ad, snr_db=snr_db, rng=rng)
    return bs.preprocess(x_ad, x_d, eta)


def tbf_feature(ds, *, n_taps: int | None = None, eta: float = 0.01) -> dict[str, np.ndarray]:
    """The registered ``tbf`` feature of a dataset: from its paths when stored, else from SFT CSI.

    Parameters
    ----------
    ds : CSIDataset
        One AP; ``ds.paths`` (closed form, velocities from ``ds.velocity`` or the paths' Doppler) or ``csi``
        ``[N, 1, N_a, K]`` / ``[N, 1, N_a, K, S]`` complex64 (tensor route; ``S = 1`` gives ``T = 1``).
    n_taps : int or None
        Delay taps of ``X_AD`` (None: the whole cyclic prefix).
    eta : float
        Mask threshold.

    Returns
    -------
    dict[str, ndarray]
        ``x_ad`` float16 [N, A, G], ``mask`` uint8 [N, A, G], ``x_d`` float32 [N, T] (see the module docstring).

    Raises
    ------
    DataError
        Several APs, or neither paths nor CSI.
    """
    scene = ds.scene
    if scene.n_aps != 1:
        raise DataError(f"tbf: scene {scene.name!r} has {scene.n_aps} APs; the triple-beam fingerprint is defined "
                        "for one base station")
    if ds.paths:
        noise = ds.meta.get("noise") or {}
        snr = noise.get("snr_db") if noise.get("mode") == "snr" else None
        paths = Paths.from_arrays(ds.paths)
        params = bs.beam_params_from_paths(paths, scene, velocity=ds.velocity)
        # noise stream of these samples: the dataset's seed and their positions (chunks get different streams)
        key = zlib.crc32(np.ascontiguousarray(paths.positions, dtype=np.float64).tobytes())
        return tbf_from_beam_params(params, scene, n_taps=n_taps, eta=eta, snr_db=snr,
                                    rng=np.random.default_rng([int(ds.meta.get("seed", 0)), key]))
    if ds.csi is None:
        raise DataError("tbf: the dataset has neither ground-truth paths nor CSI (simulate it with paths, "
                        "e.g. `radiomap simulate SCENE --feature tbf`)")
    return _tensor_route(ds.csi, scene, n_taps, eta)


def tbf_inputs(ds, inputs: str = "auto", parts: tuple[str, ...] = PARTS) -> dict[str, np.ndarray]:
    """The ``tbf`` arrays a method reads from a dataset.

    Parameters
    ----------
    ds : CSIDataset
    inputs : str
        ``"auto"``: the one ``tbf`` stored with ``parts`` (whatever its parameters), else ``tbf`` computed with
        default parameters (from paths or CSI); or a spec such as ``"tbf(n_taps=16)"``.
    parts : tuple of str
        The arrays needed (e.g. ``("x_d",)`` for the direction task).

    Returns
    -------
    dict[str, ndarray]
        ``{part: ndarray [N, ...]}`` as stored (``x_ad`` float16, ``mask`` uint8, ``x_d`` float32).

    Raises
    ------
    DataError
        ``"auto"`` and several stored ``tbf`` variants, or nothing stored and nothing to compute from.
    ParameterError
        ``inputs`` names another feature.
    """
    if inputs == "auto":
        bases = sorted({k.rsplit(".", 1)[0] for k in ds.features if "." in k})
        stored = [b for b in bases if parse_feature(b)[0] == "tbf" and all(f"{b}.{p}" in ds.features for p in parts)]
        if len(stored) > 1:
            raise DataError(f"the dataset stores several TBF variants ({', '.join(stored)}); choose one with "
                            "inputs=")
        name, params = parse_feature(stored[0]) if stored else ("tbf", {})
    else:
        name, params = parse_feature(inputs)
        if name not in FEATURES or FEATURES.get(name).parts != PARTS:
            raise ParameterError(f"tbf input {inputs!r}: expected 'auto' or the feature tbf(key=value,...)")
    keys = part_keys(name, params)
    if all(keys[p] in ds.features for p in parts):
        return {p: ds.features[keys[p]] for p in parts}
    arrays = extract_parts(ds, name, **params)
    return {p: arrays[p] for p in parts}


def _tensor_route(csi: np.ndarray, scene, n_taps: int | None, eta: float) -> dict[str, np.ndarray]:
    """``X_AD`` / ``X_D`` as marginals of ``|G|^2`` of the SFT CSI, in chunks of samples."""
    sft = csi[:, 0] if csi.ndim == 5 else csi[:, 0, ..., None]  # [N, N_a, K, S]
    shape_ad, shape = tb_shapes(scene, n_taps)
    shape = replace(shape, n_t=sft.shape[3])
    x_ad = np.empty((len(sft), shape.n_beams, shape_ad.n_g), np.float32)
    x_d = np.empty((len(sft), shape.n_t), np.float32)
    step = max(1, 2**22 // int(np.prod(shape.sft)))
    for s in range(0, len(sft), step):
        p = np.abs(bs.triple_beam(sft[s:s + step], shape)) ** 2  # [n, A, CP, S]
        x_ad[s:s + step], x_d[s:s + step] = p[:, :, :x_ad.shape[2]].sum(-1), p.sum((1, 2))
    return bs.preprocess(x_ad, x_d, eta)


TBF = Feature(tbf_feature, "triple-beam fingerprint inputs (seed 002): x_ad float16 [N, A, G], mask uint8 "
                           "[N, A, G], x_d float32 [N, T]; from paths (closed form) or SFT CSI",
              params={"n_taps": Param(AnyOf(NoneValue("the whole cyclic prefix"), Interval(int, 1, None)),
                                      "delay taps kept in X_AD"),
                      "eta": Param(Interval(float, 0, 1, closed="left"), "mask threshold on the peak-normalised X_AD")},
              defaults={"n_taps": None, "eta": 0.01}, parts=PARTS, from_paths=True)
