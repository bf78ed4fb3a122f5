"""Forward-backward smoothing of the second-order chain: posterior cell marginals.

Same state space and score as ``viterbi.viterbi2`` (state ``(g, r)`` = current cell and the move
into it), with ``logsumexp`` in place of ``max``. The posterior of cell ``g`` at slot ``t`` is
``sum_r alpha_t(g, r) beta_t(g, r) / Z``; its mean over cell centres is the minimum mean-square
error position, which, unlike the MAP path, averages over paths of nearly equal score (a walk that
creeps one cell every few slots versus one that stands still and then jumps).
Cost ``O(T G R^2)`` like the Viterbi; forward messages are kept in float32 (``4 T G R`` bytes).
"""

from __future__ import annotations

import numpy as np
import torch

from radiomap.localize.hmm.viterbi import PAIR_STATE_HINT, chain_inputs, default_device, run_recursion
from radiomap.memory import check_allocation

_CHUNK = 1 << 22  # max elements of one [rows, R, R] block


def cell_posteriors(emission: np.ndarray, trans: np.ndarray, prv: np.ndarray, nxt: np.ndarray, *,
                    device: str | torch.device | None = None) -> np.ndarray:
    """Posterior cell marginals of the second-order chain.

    Input
    -----
    emission : float [T, G] log-likelihood of slot ``t``'s observation in cell ``g``
    trans : float [R, R] log-probability of move ``r'`` after move ``r``
    prv, nxt : int [G, R] cells ``g - offsets[r]`` / ``g + offsets[r]``, ``-1`` where not walkable
    device : torch device; default CUDA when present, else CPU

    Output
    ------
    float64 [T, G] : ``p(x_t = g | all observations)``, rows sum to 1.
    """
    e, trans, (prv, nxt) = chain_inputs(emission, trans, prv=prv, nxt=nxt)
    e = e.astype(np.float64)
    if len(e) == 1:
        w = np.exp(e[0] - e[0].max())
        return (w / w.sum())[None]
    dev = torch.device(device) if device is not None else default_device()
    return run_recursion(_smooth, dev, e, trans, prv, nxt, dev)


def _lse_step(msg: torch.Tensor, tr: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out[g, r'] = logsumexp_r msg[g, r] + tr[r, r']`` in row blocks; ``msg [G, R]``."""
    n_g, n_r = msg.shape
    rows = max(1, _CHUNK // (n_r * n_r))
    for a in range(0, n_g, rows):
        torch.logsumexp(msg[a:a + rows, :, None] + tr[None], dim=1, out=out[a:a + rows])
    return out


def _smooth(e: np.ndarray, trans: np.ndarray, prv: np.ndarray, nxt: np.ndarray, dev: torch.device) -> np.ndarray:
    n_t, n_g = e.shape
    n_r = trans.shape[0]
    check_allocation(n_t * n_g * (n_r * 4 + 8) + 8 * n_g * n_r * 8,
                     f"the smoother over T={n_t} slots x G={n_g} cells x R={n_r} moves", PAIR_STATE_HINT)
    dtype = torch.float64
    em = torch.as_tensor(e, dtype=dtype, device=dev)
    tr = torch.as_tensor(trans, dtype=dtype, device=dev)
    sentinel = n_g * n_r

    def flat_index(table: np.ndarray) -> torch.Tensor:
        # index into a [G*R + 1] table whose last entry is -inf
        idx = np.where(table >= 0, np.maximum(table, 0) * n_r + np.arange(n_r)[None], sentinel)
        return torch.as_tensor(idx.reshape(-1), device=dev)

    via_prv, via_nxt = flat_index(prv), flat_index(nxt)
    ext = torch.full((sentinel + 1,), -torch.inf, dtype=dtype, device=dev)
    work = ext[:-1].view(n_g, n_r)
    buf = torch.empty((n_g, n_r), dtype=dtype, device=dev)
    valid = torch.as_tensor(prv >= 0, device=dev)
    prv_t = torch.as_tensor(np.maximum(prv, 0), device=dev)
    # forward: alpha_1(g, r) = E_1[g] + E_0[g - d_r]; alpha_{t+1} = E_{t+1} + gather_prv(lse(alpha_t + trans))
    alpha = torch.empty((n_t, n_g, n_r), dtype=torch.float32, device=dev)
    a = torch.where(valid, em[1][:, None] + em[0][prv_t], torch.tensor(-torch.inf, dtype=dtype, device=dev))
    a = a - a.max()
    alpha[1] = a
    for t in range(1, n_t - 1):
        work.copy_(_lse_step(a, tr, buf))
        a = ext[via_prv].view(n_g, n_r) + em[t + 1][:, None]
        a = a - a.max()
        alpha[t + 1] = a
    # backward: beta_t(g, r) = lse_{r''} trans[r, r''] + (E_{t+1} + beta_{t+1})(g + d_{r''}, r'')
    post = np.empty((n_t, n_g))
    b = torch.zeros((n_g, n_r), dtype=dtype, device=dev)
    tr_t = tr.T.contiguous()
    for t in range(n_t - 1, 0, -1):
        joint = alpha[t].to(dtype) + b
        post[t] = _normalise(torch.logsumexp(joint, dim=1))
        if t == 1:
            # x_0 = g - d_r of the slot-1 state
            p1 = torch.softmax(joint.reshape(-1), 0).view(n_g, n_r)
            p0 = torch.zeros(n_g, dtype=dtype, device=dev)
            p0.index_add_(0, prv_t[valid], p1[valid])
            post[0] = p0.cpu().numpy()
            break
        work.copy_(b + em[t][:, None])
        nb = ext[via_nxt].view(n_g, n_r)  # (E_t + beta_t) at (g + d_r'', r'') for the state at t-1
        b = _lse_step(nb, tr_t, buf).clone()
        b = b - b.max()
    return post


def _normalise(log_p: torch.Tensor) -> np.ndarray:
    return torch.softmax(log_p, dim=0).cpu().numpy()


def posterior_mean(post: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Minimum mean-square error positions ``[T, 2]`` from marginals ``post [T, G]`` and cells ``xy [G, 2]``."""
    return np.asarray(post) @ np.asarray(xy, dtype=np.float64)[:, :2]
