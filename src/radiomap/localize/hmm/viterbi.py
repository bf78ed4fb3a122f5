"""Second-order Viterbi over grid cells with sparse reachable transitions.

The hidden state at slot ``t`` is the pair ``(x_{t-1}, x_t)``, written ``(g, r)`` with ``g = x_t``
and ``r`` the index of the move ``x_t - x_{t-1}`` among the ``R`` reachable offsets. The score of
a cell path ``x_0..x_{T-1}`` is

    sum_t E[t, x_t] + init[r_1] + sum_{t=1}^{T-2} trans[r_t, r_{t+1}]

so the transition log-probability depends only on consecutive moves (a Gauss-Markov velocity
model is translation invariant). The recursion is a (max, +) product of the ``[G, R]`` score
table with ``trans [R, R]`` followed by a gather through ``prv``: ``O(T G R^2)`` time,
``O(T G R)`` bytes of back-pointers (uint8). Torch is used so that the same code runs on a GPU
when one is present.
"""

from __future__ import annotations

import numpy as np
import torch

from radiomap.errors import ParameterError
from radiomap.localize.training import torch_threads
from radiomap.memory import check_allocation

_CHUNK = 1 << 22  # max elements of one [rows, R, R] block
PAIR_STATE_HINT = "raise resolution= (fewer cells), lower max_speed= (fewer moves per slot) or localize shorter walks"
"""What to change when the pair-state tables of a chain recursion do not fit in memory."""


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def chain_inputs(emission, trans, **tables) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Validated inputs of a second-order chain recursion: ``emission [T, G]`` (dtype kept),
    ``trans [R, R]`` (float64) and each neighbour table ``[G, R]`` (int64, e.g. ``prv``, ``nxt``)."""
    e = np.asarray(emission)
    trans = np.asarray(trans, dtype=np.float64)
    if e.ndim != 2:
        raise ParameterError(f"emission must be [T, G], got shape {e.shape}")
    n_g, n_r = e.shape[1], trans.shape[0]
    out = [np.asarray(t, dtype=np.int64) for t in tables.values()]
    if trans.shape != (n_r, n_r) or any(t.shape != (n_g, n_r) for t in out):
        shapes = " / ".join(f"{k} {t.shape}" for k, t in zip(tables, out, strict=True))
        raise ParameterError(f"trans {trans.shape} / {shapes} do not match G={n_g}, R={n_r}")
    return e, trans, out


def viterbi2(emission: np.ndarray, trans: np.ndarray, prv: np.ndarray, *, init: np.ndarray | None = None,
             device: str | torch.device | None = None, dtype: torch.dtype = torch.float64
             ) -> tuple[np.ndarray, float]:
    """Exact MAP cell path of the second-order chain.

    Input
    -----
    emission : float [T, G]
        Log-likelihood of the observation at slot ``t`` in cell ``g``.
    trans : float [R, R]
        ``trans[r, r']`` log-probability of move ``r'`` after move ``r``.
    prv : int [G, R]
        Cell ``g - offsets[r]``, ``-1`` where not walkable (``CellGraph.prv``).
    init : float [R], optional
        Log-prior of the first move; zero by default.
    device : torch device; default CUDA when present, else CPU.
    dtype : torch float dtype of the score tables.

    Output
    ------
    path : int64 [T]
        Cell indices of the MAP path.
    score : float
        Its score (the objective above).
    """
    e, trans, (prv,) = chain_inputs(emission, trans, prv=prv)
    n_t, n_r = len(e), len(trans)
    if n_r > 255:
        raise ParameterError(f"at most 255 reachable offsets are supported, got {n_r}")
    if n_t == 0:
        return np.zeros(0, dtype=np.int64), 0.0
    if n_t == 1:
        g = int(np.argmax(e[0]))
        return np.array([g]), float(e[0, g])
    check_allocation(n_t * e.shape[1] * n_r * 1 + 4 * e.shape[1] * n_r * 8,
                     f"the Viterbi over T={n_t} slots x G={e.shape[1]} cells x R={n_r} moves", PAIR_STATE_HINT)
    dev = torch.device(device) if device is not None else default_device()
    return run_recursion(_viterbi2, dev, e, trans, prv, init, dev, dtype)


def map_path(emission: np.ndarray, trans: np.ndarray, graph, *, beam: int | None = None,
             device: str | torch.device | None = None) -> tuple[np.ndarray, float]:
    """MAP cell path ``int64 [T]`` and its score: ``viterbi2`` (exact) or, with ``beam``, ``viterbi2_beam``.

    ``emission [T, G]``, ``trans [R, R]``, ``graph`` a ``CellGraph`` (its ``prv`` / ``nxt`` tables).
    """
    if beam is None:
        return viterbi2(emission, trans, graph.prv, device=device)
    return viterbi2_beam(emission, trans, graph.prv, graph.nxt, beam, device=device)


def run_recursion(fn, dev: torch.device, *args):
    """``fn(*args)``, single-threaded when ``dev`` is the CPU (restoring the setting after).

    One step of the chain recursions is ~1e5-1e6 elements: intra-op threading only adds
    synchronisation (severe on a shared, loaded CPU).
    """
    if dev.type != "cpu":
        return fn(*args)
    with torch_threads(1):
        return fn(*args)


def _viterbi2(e: np.ndarray, trans: np.ndarray, prv: np.ndarray, init: np.ndarray | None, dev: torch.device,
              dtype: torch.dtype) -> tuple[np.ndarray, float]:
    n_t, n_g = e.shape
    n_r = trans.shape[0]
    neg = torch.tensor(-torch.inf, dtype=dtype, device=dev)
    em = torch.as_tensor(e, dtype=dtype, device=dev)
    tr = torch.as_tensor(trans, dtype=dtype, device=dev)
    valid = torch.as_tensor(prv >= 0, device=dev)
    r_idx = torch.arange(n_r, device=dev)
    # flat gather index into a [G*R + 1] table whose last entry is the -inf sentinel
    gather = torch.where(valid, torch.as_tensor(np.maximum(prv, 0), device=dev) * n_r + r_idx[None],
                         torch.tensor(n_g * n_r, device=dev))
    init_t = torch.zeros(n_r, dtype=dtype, device=dev) if init is None else torch.as_tensor(
        np.asarray(init, dtype=np.float64), dtype=dtype, device=dev)
    prv_t = torch.as_tensor(np.maximum(prv, 0), device=dev)
    delta = torch.where(valid, em[1][:, None] + em[0][prv_t] + init_t[None], neg)
    offset = 0.0
    bp = torch.zeros((n_t, n_g, n_r), dtype=torch.uint8, device=dev)
    rows = max(1, _CHUNK // (n_r * n_r))
    gather_flat = gather.reshape(-1)
    # [G*R + 1] tables whose last entry is the sentinel (-inf score, back-pointer 0)
    best_ext = torch.full((n_g * n_r + 1,), -torch.inf, dtype=dtype, device=dev)
    arg_ext = torch.zeros(n_g * n_r + 1, dtype=torch.int64, device=dev)
    best, arg = best_ext[:-1].view(n_g, n_r), arg_ext[:-1].view(n_g, n_r)
    for t in range(1, n_t - 1):
        if t % 16 == 1:  # renormalise now and then (one host sync per 16 slots)
            top = delta.max()
            delta = delta - top
            offset += float(top)
        for a in range(0, n_g, rows):
            cand = delta[a:a + rows, :, None] + tr[None]
            torch.max(cand, dim=1, out=(best[a:a + rows], arg[a:a + rows]))
        delta = best_ext[gather_flat].view(n_g, n_r) + em[t + 1][:, None]
        bp[t + 1] = arg_ext[gather_flat].view(n_g, n_r)
    flat = int(torch.argmax(delta))
    score = float(delta.reshape(-1)[flat]) + offset
    if not np.isfinite(score):
        raise ParameterError("no feasible path: every cell sequence violates the reachability constraint")
    g, r = divmod(flat, n_r)
    bp_np = bp.cpu().numpy()
    path = np.empty(n_t, dtype=np.int64)
    path[-1] = g
    for t in range(n_t - 1, 1, -1):
        g_prev = prv[g, r]
        r = int(bp_np[t, g, r])
        g = g_prev
        path[t - 1] = g
    path[0] = prv[g, r]
    return path, score


def path_score(path: np.ndarray, emission: np.ndarray, trans: np.ndarray, moves: np.ndarray,
               init: np.ndarray | None = None) -> float:
    """Score of a given cell path under the objective of ``viterbi2``.

    Input
    -----
    path : int [T] cell indices
    emission : float [T, G]
    trans : float [R, R]
    moves : int [T-1] offset index of each move ``x_t - x_{t-1}`` (``CellGraph.moves``), -1 if unreachable
    init : float [R], optional

    Output
    ------
    float : the score; ``-inf`` if a move is not reachable.
    """
    path = np.asarray(path, dtype=np.int64)
    moves = np.asarray(moves, dtype=np.int64)
    s = float(np.asarray(emission)[np.arange(len(path)), path].sum())
    if len(path) < 2:
        return s
    if (moves < 0).any():
        return -np.inf
    if init is not None:
        s += float(np.asarray(init)[moves[0]])
    return s + float(np.asarray(trans)[moves[:-1], moves[1:]].sum())


def viterbi2_beam(emission: np.ndarray, trans: np.ndarray, prv: np.ndarray, nxt: np.ndarray, beam: int, *,
                  init: np.ndarray | None = None, device: str | torch.device | None = None,
                  dtype: torch.dtype = torch.float64) -> tuple[np.ndarray, float]:
    """Beam-pruned MAP cell path of the second-order chain of ``viterbi2``.

    After each slot only the ``beam`` best pair-states ``(cell, move into it)`` are kept and extended
    (``beam x R`` candidates per slot, the best one per successor state kept); with ``beam >= G R``
    nothing is pruned and the result is the exact ``viterbi2`` path. Memory ``O(T beam)`` instead of
    ``O(T G R)``; time ``O(T beam R log(beam R))``.

    Input
    -----
    emission : float [T, G]; trans : float [R, R]; prv, nxt : int [G, R] (``CellGraph.prv`` / ``nxt``)
    beam : pair-states kept per slot (>= 1)
    init : float [R], optional log-prior of the first move
    device, dtype : as in ``viterbi2``

    Output
    ------
    path : int64 [T] cell indices; score : float, its score (a lower bound of the exact optimum).
    """
    e, trans, (prv, nxt) = chain_inputs(emission, trans, prv=prv, nxt=nxt)
    if int(beam) < 1:
        raise ParameterError(f"beam must be >= 1, got {beam}")
    n_t, n_g = e.shape
    n_r = len(trans)
    if n_t <= 1:
        return viterbi2(e, trans, prv, init=init, device=device, dtype=dtype)
    beam = int(min(beam, n_g * n_r))
    check_allocation(n_t * beam * 16 + 6 * beam * n_r * 8 + n_g * n_r * 16,
                     f"the beam Viterbi over T={n_t} slots x beam {beam} x R={n_r} moves", PAIR_STATE_HINT)
    dev = torch.device(device) if device is not None else default_device()
    return run_recursion(_beam, dev, e, trans, prv, nxt, init, beam, dev, dtype)


def _beam(e, trans, prv, nxt, init, beam: int, dev: torch.device, dtype: torch.dtype) -> tuple[np.ndarray, float]:
    n_t, n_g = e.shape
    n_r = trans.shape[0]
    em = torch.as_tensor(e, dtype=dtype, device=dev)
    tr = torch.as_tensor(trans, dtype=dtype, device=dev)
    prv_t, nxt_t = torch.as_tensor(prv, device=dev), torch.as_tensor(nxt, device=dev)
    init_t = torch.zeros(n_r, dtype=dtype, device=dev) if init is None else torch.as_tensor(
        np.asarray(init, dtype=np.float64), dtype=dtype, device=dev)
    valid = prv_t >= 0
    score0 = torch.where(valid, em[1][:, None] + em[0][prv_t.clamp(min=0)] + init_t[None],
                         torch.tensor(-torch.inf, dtype=dtype, device=dev)).reshape(-1)
    score, state = torch.topk(score0, min(beam, int(valid.sum())))
    states, parents = [state], []
    r_new = torch.arange(n_r, device=dev)
    for t in range(1, n_t - 1):
        g, r = state // n_r, state % n_r
        nxt_g = nxt_t[g]  # [K, R'] successor cells
        cand = score[:, None] + tr[r] + em[t + 1][nxt_g.clamp(min=0)]
        cand = torch.where(nxt_g >= 0, cand, torch.tensor(-torch.inf, dtype=dtype, device=dev)).reshape(-1)
        ids = (nxt_g.clamp(min=0) * n_r + r_new[None]).reshape(-1)
        order = torch.argsort(cand, descending=True, stable=True)
        uniq, inv = torch.unique(ids[order], return_inverse=True)
        first = torch.full((len(uniq),), len(order), dtype=torch.int64, device=dev)
        first.scatter_reduce_(0, inv, torch.arange(len(order), device=dev), reduce="amin")
        best = order[first]  # index into cand of the best predecessor of each successor state
        keep = torch.topk(cand[best], min(beam, len(best)))
        sel = best[keep.indices]
        score, state = keep.values, ids[sel]
        if not torch.isfinite(score[0]):
            raise ParameterError("no feasible path: every cell sequence violates the reachability constraint")
        states.append(state)
        parents.append(sel // n_r)
    k = int(torch.argmax(score))
    total = float(score[k])
    if not np.isfinite(total):
        raise ParameterError("no feasible path: every cell sequence violates the reachability constraint")
    states_np = [s.cpu().numpy() for s in states]
    parents_np = [p.cpu().numpy() for p in parents]
    path = np.empty(n_t, dtype=np.int64)
    for t in range(n_t - 1, 0, -1):
        path[t] = states_np[t - 1][k] // n_r
        if t > 1:
            k = parents_np[t - 2][k]
    path[0] = prv[path[1], states_np[0][k] % n_r]
    return path, total
