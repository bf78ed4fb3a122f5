"""Initialisation of the model-based map's atoms by orthogonal matching pursuit (OMP).

For each region (a cell of a ``R_x x R_y`` grid of Taylor-expansion centroids) the training
channels ``H(x_m)`` of the positions in the region's support are matched against local planar
wavefronts ``exp(-j 2 pi / lambda k . (x - o))`` on a grid of horizontal directions ``k`` (the
unit disk: users lie on a plane, so only the horizontal projection of the wave vector is
observable). Each greedy step takes the direction of largest residual matched-filter energy,
refines it on a finer local grid, takes the rank-1 SVD of its matched-filter matrix
``Z = (1/M) sum_m H(x_m) exp(+j 2 pi / lambda k . (x_m - o))`` as the antenna response
(a steering vector) and frequency response (a delay response), and re-fits all amplitudes of
the region jointly by least squares.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm.auto import tqdm

from radiomap.errors import ParameterError
from radiomap.localize.neuralmap.model import region_windows
from radiomap.memory import check_allocation


def _direction_grid(step: float, device: torch.device) -> torch.Tensor:
    """Horizontal directions ``[G, 2]`` on a square grid of ``step`` inside the unit disk."""
    n = int(math.ceil(1.0 / step))
    v = torch.arange(-n, n + 1, device=device, dtype=torch.float32) * step
    kx, ky = torch.meshgrid(v, v, indexing="ij")
    k = torch.stack([kx.ravel(), ky.ravel()], dim=1)
    return k[(k**2).sum(1) <= 1.0]


def _matched(k: torch.Tensor, xy: torch.Tensor, y: torch.Tensor, wavelength: float) -> torch.Tensor:
    """``Z [G, A*S] = (1/M) E @ y`` with ``E[g, m] = exp(+j 2 pi / lambda k_g . xy_m)``."""
    ph = (2 * math.pi / wavelength) * (k @ xy.T)
    return torch.polar(torch.ones_like(ph), ph) @ y / xy.shape[0]


def omp_region(xy: torch.Tensor, y: torch.Tensor, n_antennas: int, n_atoms: int, wavelength: float,
               oversample: float = 2.0, refine: int = 9) -> dict[str, torch.Tensor]:
    """Greedy plane-wave decomposition of the channels of one region.

    Parameters
    ----------
    xy : torch.Tensor, float32 [M, 2]
        Positions relative to the region centroid (m).
    y : torch.Tensor, complex64 [M, A S]
        Channels (antenna-major flattening of ``[A, S]``).
    n_antennas : int
        A.
    n_atoms : int
        P atoms to extract.
    wavelength : float
        (m).
    oversample : float
        Direction-grid oversampling relative to the region's resolution ``lambda / extent``.
    refine : int
        Points per axis of the local refinement grid of each chosen direction.

    Returns
    -------
    dict[str, torch.Tensor]
        ``k [P, 2]`` (horizontal directions), ``psi_a [P, A]``, ``psi_f [P, S]`` (unit norm) and ``amp [P]``
        complex amplitudes, on ``y``'s device.
    """
    m = xy.shape[0]
    extent = float((xy.max(0).values - xy.min(0).values).max().clamp(min=wavelength))
    step = wavelength / (oversample * extent)
    n_dir = math.pi / step**2  # directions in the unit disk
    check_allocation(n_dir * (m * 12 + y.shape[1] * 8),
                     f"the OMP atom search of a {extent:.3g} m region ({extent / wavelength:.0f} wavelengths, "
                     f"{n_dir:.3g} directions x {m} channels)",
                     "use more regions (n_regions=) so that each is smaller, or a smaller area")
    grid = _direction_grid(step, xy.device)
    ph = (2 * math.pi / wavelength) * (grid @ xy.T)
    e = torch.polar(torch.ones_like(ph), ph)  # [G, M]
    del ph
    z0 = e @ y / m  # [G, AS]
    ks, bs, psi_a, psi_f = [], [], [], []
    amp = torch.zeros(0, dtype=y.dtype, device=y.device)
    resid, phi = y, None
    for _ in range(n_atoms):
        # matched filter of the residual: Z0 - (E @ phi / M) diag(amp) B
        zres = z0 if phi is None else z0 - (e @ phi / m) @ (amp[:, None] * torch.stack(bs))
        g = int(torch.argmax((zres.abs() ** 2).sum(1)))
        off = torch.linspace(-step, step, refine, device=xy.device)
        fx, fy = torch.meshgrid(off, off, indexing="ij")
        fine = grid[g][None] + torch.stack([fx.ravel(), fy.ravel()], dim=1)
        zf = _matched(fine, xy, resid, wavelength)
        best = int(torch.argmax((zf.abs() ** 2).sum(1)))
        k = fine[best]
        u, s, vh = torch.linalg.svd(zf[best].reshape(n_antennas, -1), full_matrices=False)
        ks.append(k)
        psi_a.append(u[:, 0])
        psi_f.append(vh[0])
        bs.append(torch.outer(u[:, 0], vh[0]).reshape(-1))
        # joint least-squares re-fit of all amplitudes (OMP)
        kk = torch.stack(ks)
        phx = (-2 * math.pi / wavelength) * (xy @ kk.T)
        phi = torch.polar(torch.ones_like(phx), phx)  # [M, P]
        b = torch.stack(bs)  # [P, AS]
        gram = (phi.conj().T @ phi) * (b.conj() @ b.T)
        rhs = ((phi.conj().T @ y) * b.conj()).sum(1)
        gram = gram + 1e-6 * torch.eye(len(ks), device=y.device) * gram.diagonal().real.mean()
        amp = torch.linalg.solve(gram, rhs)
        resid = y - (phi * amp[None]) @ b
    return {"k": torch.stack(ks), "psi_a": torch.stack(psi_a), "psi_f": torch.stack(psi_f), "amp": amp}


def region_grid(lo: np.ndarray, hi: np.ndarray, n_regions: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Centroids of an ``R_x x R_y`` grid of equal cells over a box.

    Parameters
    ----------
    lo, hi : ndarray, float [2]
        Box corners (m).
    n_regions : tuple of int
        ``(R_x, R_y)``.

    Returns
    -------
    centroids_x : ndarray, float64 [R_x]
        (m), increasing.
    centroids_y : ndarray, float64 [R_y]
        (m), increasing.
    """
    cs = []
    for d in range(2):
        n = int(n_regions[d])
        width = (hi[d] - lo[d]) / n
        cs.append(lo[d] + width * (np.arange(n) + 0.5))
    return cs[0], cs[1]


def init_atoms(positions: np.ndarray, csi: np.ndarray, *, wavelength: float,
               n_regions: tuple[int, int] = (1, 1), atoms_per_region: int = 12, max_points: int = 1024, seed: int = 0,
               overlap: float = 1.0, device: str | torch.device = "cpu",
               progress: bool = False) -> dict[str, np.ndarray]:
    """Atoms of every region by OMP on the training channels in that region's support.

    Parameters
    ----------
    positions : ndarray, float [N, 3]
        Training positions (m).
    csi : ndarray, complex [N, A, S]
        Their channels (normalised units).
    wavelength : float
        (m).
    n_regions : tuple of int
        ``(R_x, R_y)`` Taylor regions.
    atoms_per_region : int
    max_points : int
        At most this many channels (a seeded random subset) per region's OMP.
    seed : int
    overlap : float
        Blend width between neighbouring regions (``model.region_windows``): a region's support is where
        its window exceeds 0.02.
    device : str or torch.device
    progress : bool

    Returns
    -------
    dict
        Ready for ``build_model_based_map``: ``wave_vectors [D, 3]``, ``psi_a [D, A]``, ``psi_f [D, S]``,
        ``w0 [D]`` complex, ``atom_region [D]``, ``centroids_x``, ``centroids_y``, ``z_ref``;
        ``D = R_x R_y atoms_per_region``.
    """
    dev = torch.device(device)
    lo, hi = positions[:, :2].min(0), positions[:, :2].max(0)
    cxs, cys = region_grid(lo, hi, n_regions)
    z_ref = float(np.median(positions[:, 2]))
    n, a, s = csi.shape
    x_t = torch.as_tensor(positions, dtype=torch.float32)
    win = region_windows(x_t, torch.as_tensor(cxs, dtype=torch.float32),
                         torch.as_tensor(cys, dtype=torch.float32), overlap).numpy()
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {"wave_vectors": [], "psi_a": [], "psi_f": [], "w0": [], "atom_region": []}
    regions = [(ix, iy) for ix in range(len(cxs)) for iy in range(len(cys))]
    for r, (ix, iy) in enumerate(tqdm(regions, desc="atoms (OMP)", disable=not progress)):
        idx = np.flatnonzero(win[:, r] > 0.02)
        if idx.size < 2:
            raise ParameterError(f"neuralmap: region ({ix}, {iy}) of the {len(cxs)} x {len(cys)} region grid holds "
                                 f"{idx.size} training positions; use fewer regions (n_regions=) or more data")
        if idx.size > max_points:
            idx = np.sort(rng.choice(idx, max_points, replace=False))
        centre = np.array([cxs[ix], cys[iy]])
        xy = torch.as_tensor(positions[idx, :2] - centre, dtype=torch.float32, device=dev)
        y = torch.as_tensor(csi[idx].reshape(idx.size, a * s), dtype=torch.complex64, device=dev)
        res = omp_region(xy, y, a, atoms_per_region, wavelength)
        k = res["k"].cpu().numpy()
        out["wave_vectors"].append(np.concatenate([k, np.zeros((len(k), 1), np.float32)], axis=1))
        out["psi_a"].append(res["psi_a"].cpu().numpy())
        out["psi_f"].append(res["psi_f"].cpu().numpy())
        out["w0"].append(res["amp"].cpu().numpy())
        out["atom_region"].append(np.full(len(k), r, dtype=np.int64))
    init = {key: np.concatenate(v) for key, v in out.items()}
    init.update(centroids_x=cxs, centroids_y=cys, z_ref=z_ref)
    return init
