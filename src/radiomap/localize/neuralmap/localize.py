"""Localization with a learned location-to-channel map (SPEC section 3.2), batched over queries.

Given measured channels ``H_q`` and a differentiable channel function ``f(x)`` (the trained map
used as a generative channel model, i.e. an augmented fingerprint dictionary):

1. global grid ``G_G`` over the area, phase-insensitive distance
   ``d_PI(h, g) = sqrt(2 - 2 |h^H g| / (||h|| ||g||))`` -> ``x_i`` (``f(G_G)`` is computed once and
   shared by all queries, so this stage is one matrix product);
2. local grid ``G_L`` around ``x_i``, Frobenius distance ``||H - f(x)||_F`` -> ``x_g``;
3. ``n_grad`` projected gradient-descent (Adam) steps on ``||H - f(x)||_F^2 / ||H||_F^2`` -> GD1;
4. circles of radius ``k lambda``, ``k = 1..K``, around GD1 (``G_C``), best point -> ``x_c``;
5. ``n_grad`` more gradient-descent steps -> the estimate.

Positions stay inside the box ``[lo, hi]`` at every step (projection after each update). Users
lie on a plane of height ``z``; the search is over ``(x, y)``. Every stage's cost is accounted
as ``f`` evaluations per query (the ``kappa`` units of the seed's complexity formula) and wall time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from radiomap.errors import DataError, ParameterError

ChannelFn = Callable[[torch.Tensor], torch.Tensor]
"""``x [N, 3]`` float32 metres -> ``[N, N_a, N_s]`` complex64, differentiable in ``x``."""

STAGES = ("global_grid", "local_grid", "gd1", "circles", "gd2")


class _Space:
    """Bilinear form of the search: ``h_q^H f(x) = u_q . v(x)`` and ``||f(x)||^2 = n(v(x))``.

    Generic channel functions use ``v = f(x)`` (``[A*S]``) and ``u = conj(h)``. A factorised map
    (``f(x) = c(x) @ B`` with ``coefficients(x) [N, D]`` and ``atom_matrix() [D, A*S]``, as the
    model-based net) uses ``v = c(x)``, ``u = B conj(h)`` and ``n(v) = Re(v^T (B B^H) conj(v))``: each
    candidate then costs ``O(D^2)`` instead of ``O(D A S)``, with identical distances (the part of
    ``h`` outside the span of the atoms is a constant per query).
    """

    def __init__(self, f: ChannelFn):
        self.f = f
        self.factored = all(callable(getattr(f, a, None)) for a in ("coefficients", "atom_matrix"))
        if self.factored:
            with torch.no_grad():
                self.b = f.atom_matrix()
                self.gram = self.b @ self.b.conj().T

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        if self.factored:
            return self.f.coefficients(x)
        return self.f(x).reshape(len(x), -1)

    def embed_nograd(self, x: torch.Tensor, chunk: int) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([self.embed(x[i:i + chunk]) for i in range(0, len(x), chunk)])

    def query(self, h: torch.Tensor) -> torch.Tensor:
        return h.conj() @ self.b.T if self.factored else h.conj()

    def norm2(self, v: torch.Tensor) -> torch.Tensor:
        if self.factored:
            return ((v @ self.gram) * v.conj()).sum(-1).real
        return v.abs().pow(2).sum(-1)

    def dist2(self, u: torch.Tensor, e: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """``||h - f(x)||^2`` for ``u [Q, M]``, ``e [Q]`` and ``v [Q, ..., M]`` -> ``[Q, ...]``."""
        shape = (len(u),) + (1,) * (v.dim() - 2) + (u.shape[1],)
        cross = (v * u.reshape(shape)).sum(-1).real
        return e.reshape(shape[:-1]) - 2 * cross + self.norm2(v)


@dataclass
class PipelineConfig:
    """Hyper-parameters of the 5-stage search; lengths in carrier wavelengths.

    Parameters
    ----------
    global_step : float
        Spacing of the global grid ``G_G``.
    local_half, local_step : float
        Half-width and spacing of the local square grid ``G_L``.
    n_grad : int
        Gradient steps per descent.
    lr, lr_final : float
        Adam step at the start / end (cosine decay).
    n_circles : int
        ``K`` radii ``k lambda``.
    circle_points : int
        Samples per circle.
    global_metric : str
        ``"pi"`` (phase-insensitive, the seed's choice) or ``"frobenius"`` distance on ``G_G``.
    batch_size : int
        Queries processed together.
    eval_batch : int
        Positions per ``f`` call.
    """

    global_step: float = 0.25
    local_half: float = 0.25
    local_step: float = 1 / 16
    n_grad: int = 40
    lr: float = 0.02
    lr_final: float = 0.0005
    n_circles: int = 2
    circle_points: int = 16
    global_metric: str = "pi"
    batch_size: int = 512
    eval_batch: int = 16384

    def __post_init__(self) -> None:
        for name in ("global_step", "local_half", "local_step", "lr", "lr_final"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"PipelineConfig.{name}={getattr(self, name)}; expected > 0")
        if self.n_grad < 0 or self.n_circles < 0 or self.circle_points < 1:
            raise ParameterError("PipelineConfig: n_grad, n_circles must be >= 0 and circle_points >= 1")
        if self.global_metric not in ("pi", "frobenius"):
            raise ParameterError(
                f"PipelineConfig.global_metric={self.global_metric!r}; expected 'pi' or 'frobenius'")


def grid_positions(lo: np.ndarray, hi: np.ndarray, step: float, z: float) -> np.ndarray:
    """Rectangular grid of spacing ``step`` covering a box at one height.

    Points are centred in the box: ``n = floor((hi - lo) / step) + 1`` per axis.

    Parameters
    ----------
    lo, hi : ndarray, float [2]
        Box corners (m).
    step : float
        Spacing (m).
    z : float
        Height (m).

    Returns
    -------
    ndarray, float64 [G, 3]
        Positions (m), x-major.
    """
    axes = []
    for d in range(2):
        n = int(math.floor((hi[d] - lo[d]) / step + 1e-9)) + 1
        start = lo[d] + 0.5 * ((hi[d] - lo[d]) - (n - 1) * step)
        axes.append(start + step * np.arange(n))
    gx, gy = np.meshgrid(axes[0], axes[1], indexing="ij")
    return np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, z)])


def _best_of(space: _Space, u: torch.Tensor, e: torch.Tensor, cand: torch.Tensor, chunk: int) -> torch.Tensor:
    """Per query the candidate of least ``||h - f(x)||``: ``cand [Q, C, 3]`` -> ``[Q, 3]``."""
    q, c, _ = cand.shape
    v = space.embed_nograd(cand.reshape(q * c, 3), chunk).reshape(q, c, -1)
    return cand[torch.arange(q, device=cand.device), space.dist2(u, e, v).argmin(1)]


def gradient_descent(f: ChannelFn, h: torch.Tensor, x0: torch.Tensor, *, lo: torch.Tensor, hi: torch.Tensor,
                     n_steps: int, lr: float, lr_final: float, trace: list | None = None,
                     space: _Space | None = None) -> torch.Tensor:
    """Projected Adam descent of ``||h_q - f(x_q)||^2 / ||h_q||^2`` over ``(x, y)``, independently per query.

    Parameters
    ----------
    f : ChannelFn
        Differentiable channel map.
    h : torch.Tensor, complex64 [Q, A S]
        Query channels (flattened).
    x0 : torch.Tensor, float32 [Q, 3]
        Starting positions (m).
    lo, hi : torch.Tensor, float32 [2]
        Box (m); every iterate is projected into it.
    n_steps : int
    lr, lr_final : float
        Adam step at the start / end of the cosine decay (m).
    trace : list or None
        Receives every iterate, ndarray float32 [Q, 3].
    space : _Space or None
        The distance's bilinear form (default: built from ``f``).

    Returns
    -------
    torch.Tensor, float32 [Q, 3]
        Positions (m), inside the box, height of ``x0``.
    """
    z = x0[:, 2:].detach()
    xy = x0[:, :2].detach().clone().clamp(lo, hi).requires_grad_(True)
    opt = torch.optim.Adam([xy], lr=lr)
    space = space or _Space(f)
    energy = h.abs().pow(2).sum(1).clamp(min=1e-30)
    u = space.query(h)
    for step in range(n_steps):
        frac = step / max(1, n_steps - 1)
        opt.param_groups[0]["lr"] = lr_final + (lr - lr_final) * 0.5 * (1 + math.cos(math.pi * frac))
        v = space.embed(torch.cat([xy, z], dim=1))
        loss = (space.dist2(u, energy, v) / energy).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            xy.copy_(torch.maximum(torch.minimum(xy, hi), lo))
        if trace is not None:
            trace.append(torch.cat([xy.detach(), z], dim=1).cpu().numpy())
    return torch.cat([xy.detach(), z], dim=1)


def localize(f: ChannelFn, csi: np.ndarray, *, lo: np.ndarray, hi: np.ndarray, z: float, wavelength: float,
             config: PipelineConfig | None = None, device: str | torch.device = "cpu",
             progress: bool = False) -> tuple[np.ndarray, dict]:
    """Run the 5-stage search for every query channel.

    Parameters
    ----------
    f : ChannelFn
        Channel map, already on ``device``.
    csi : ndarray, complex [Q, N_a, N_s]
        Query channels, in the units ``f`` was trained on.
    lo, hi : ndarray, float [2]
        Search box (m).
    z : float
        User height (m).
    wavelength : float
        (m).
    config : PipelineConfig or None
    device : str or torch.device
    progress : bool

    Returns
    -------
    positions : ndarray, float64 [Q, 3]
        Estimates (m).
    costs : dict
        Per stage ``{"evals_per_query", "time_s"}`` plus ``"total"`` and the config; the global grid's
        ``f(G_G)`` is computed once (``shared_evals``) and reused by every query.
    """
    cfg = config or PipelineConfig()
    csi = np.asarray(csi)
    if csi.ndim != 3:
        raise DataError(f"localize: csi has shape {csi.shape}; expected [Q, N_a, N_s]")
    dev = torch.device(device)
    lam = float(wavelength)
    lo_t = torch.as_tensor(np.asarray(lo[:2]), dtype=torch.float32, device=dev)
    hi_t = torch.as_tensor(np.asarray(hi[:2]), dtype=torch.float32, device=dev)
    times = dict.fromkeys(STAGES, 0.0)

    space = _Space(f)
    t0 = time.perf_counter()
    gg = torch.as_tensor(grid_positions(np.asarray(lo), np.asarray(hi), cfg.global_step * lam, z),
                         dtype=torch.float32, device=dev)
    vg = space.embed_nograd(gg, cfg.eval_batch)  # f(G_G), shared by all queries
    ng = space.norm2(vg).clamp(min=1e-30)
    times["global_grid"] += time.perf_counter() - t0

    n_loc = int(round(cfg.local_half / cfg.local_step))
    off1 = torch.arange(-n_loc, n_loc + 1, device=dev, dtype=torch.float32) * cfg.local_step * lam
    ox, oy = torch.meshgrid(off1, off1, indexing="ij")
    local_off = torch.stack([ox.ravel(), oy.ravel(), torch.zeros_like(ox.ravel())], dim=1)
    ang = 2 * math.pi * torch.arange(cfg.circle_points, device=dev, dtype=torch.float32) / cfg.circle_points
    radii = lam * torch.arange(1, cfg.n_circles + 1, device=dev, dtype=torch.float32)
    circ = torch.cat([torch.zeros(1, 3, device=dev)] + [
        torch.stack([r * torch.cos(ang), r * torch.sin(ang), torch.zeros_like(ang)], dim=1) for r in radii])
    lo3 = torch.cat([lo_t, torch.tensor([-math.inf], device=dev)])
    hi3 = torch.cat([hi_t, torch.tensor([math.inf], device=dev)])
    gd = {"lo": lo_t, "hi": hi_t, "n_steps": cfg.n_grad, "lr": cfg.lr * lam, "lr_final": cfg.lr_final * lam,
          "space": space}

    out = []
    for i in tqdm(range(0, len(csi), cfg.batch_size), desc="localize", disable=not progress, leave=False):
        h = torch.as_tensor(csi[i:i + cfg.batch_size], dtype=torch.complex64, device=dev)
        h = h.reshape(len(h), -1)
        u, e = space.query(h), h.abs().pow(2).sum(1)
        t = time.perf_counter()
        best_val = torch.full((len(h),), -math.inf, device=dev)
        best_idx = torch.zeros(len(h), dtype=torch.long, device=dev)
        for j in range(0, len(vg), cfg.eval_batch):
            cross = u @ vg[j:j + cfg.eval_batch].T  # [Q, G_chunk] = h^H f(x)
            if cfg.global_metric == "pi":  # max |h^H f| / ||f||  <=>  min d_PI
                score = cross.abs() / ng[j:j + cfg.eval_batch].sqrt()
            else:  # max 2 Re(h^H f) - ||f||^2  <=>  min ||h - f||
                score = 2 * cross.real - ng[j:j + cfg.eval_batch]
            v, k = score.max(1)
            upd = v > best_val
            best_val, best_idx = torch.where(upd, v, best_val), torch.where(upd, k + j, best_idx)
        x = gg[best_idx]
        times["global_grid"] += time.perf_counter() - t

        t = time.perf_counter()
        cand = torch.maximum(torch.minimum(x[:, None, :] + local_off[None], hi3), lo3)
        x = _best_of(space, u, e, cand, cfg.eval_batch)
        times["local_grid"] += time.perf_counter() - t

        t = time.perf_counter()
        x = gradient_descent(f, h, x, **gd)
        times["gd1"] += time.perf_counter() - t

        t = time.perf_counter()
        cand = torch.maximum(torch.minimum(x[:, None, :] + circ[None], hi3), lo3)
        x = _best_of(space, u, e, cand, cfg.eval_batch)
        times["circles"] += time.perf_counter() - t

        t = time.perf_counter()
        x = gradient_descent(f, h, x, **gd)
        times["gd2"] += time.perf_counter() - t
        out.append(x.cpu().numpy().astype(np.float64))

    evals = {"global_grid": len(gg), "local_grid": len(local_off), "gd1": cfg.n_grad,
             "circles": len(circ), "gd2": cfg.n_grad}
    costs = {s: {"evals_per_query": int(evals[s]), "time_s": times[s]} for s in STAGES}
    costs["total"] = {"evals_per_query": int(sum(evals.values())), "time_s": float(sum(times.values())),
                      "shared_evals": len(gg), "n_queries": len(csi)}
    costs["config"] = asdict(cfg)
    return np.concatenate(out) if out else np.zeros((0, 3)), costs
