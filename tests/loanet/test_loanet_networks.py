"""LOA-Net networks: each overfits a tiny batch (catches wiring bugs), invariances, FLOP counter,
training loop checkpoints and resume."""

import dataclasses

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from radiomap.localize.loanet.cnn import CNN2DNet, CNN3DNet
from radiomap.localize.loanet.complexity import count_flops, count_params
from radiomap.localize.loanet.config import CPU
from radiomap.localize.loanet.detr import build_maskdetr
from radiomap.localize.loanet.fusion_tdc import build_tdc, tdc_loss
from radiomap.localize.training import TrainConfig, train_model

torch.set_num_threads(1)
A, G, T = 32, 6, 20  # 8 x 4 UPA beams, delay taps, Doppler bins


def _batch(seed=0, n=8):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, A, G, generator=g) ** 4
    m = (x > 0.3).float()
    y = torch.randn(n, 3, generator=g)
    return x, m, y


def _overfit(model, loss_fn, data, steps=300, lr=3e-3):
    torch.manual_seed(0)
    cfg = TrainConfig(epochs=steps, batch_size=len(next(iter(data.values()))), lr=lr, l2=0.0, patience=10**6,
                      lr_patience=10**6, val_fraction=0.0)
    info = train_model(model, loss_fn, data, cfg, seed=0)
    return info.history[0]["train"], info.history[-1]["train"]


@pytest.mark.parametrize("backbone", ["de", "ec"])
def test_maskdetr_overfits_tiny_batch(backbone):
    torch.manual_seed(0)
    x, m, y = _batch()
    net = build_maskdetr(dataclasses.replace(CPU.detr(backbone), dropout=0.0), A, G)
    data = {"x": x, "m": m, "y": y}
    first, last = _overfit(net, lambda mod, b: F.mse_loss(mod(b["x"], b["m"]), b["y"]), data)
    assert last < 0.02 * first and last < 0.02


def test_maskdetr_uses_the_mask_and_batches_consistently():
    torch.manual_seed(0)
    x, m, _ = _batch()
    net = build_maskdetr(CPU.de, A, G).eval()
    with torch.no_grad():
        full = net(x, m)
        single = torch.cat([net(x[i:i + 1], m[i:i + 1]) for i in range(len(x))])
        other = net(x, 1.0 - m)
    torch.testing.assert_close(full, single, atol=1e-5, rtol=1e-5)
    assert (full - other).abs().max() > 1e-4
    q = net.forward_queries(x, m)
    assert q.shape == (8, CPU.de.queries, 3)
    torch.testing.assert_close(q.mean(1), full)


def test_fusion_tdc_overfits_tiny_batch():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    d, c = torch.rand(16, T, generator=g), torch.randn(16, 3, generator=g)
    y = torch.arange(16) % 16
    cfg = dataclasses.replace(CPU.tdc, smoothing=0.0)
    net = build_tdc(cfg, T)
    data = {"d": d, "c": c, "y": y}
    first, last = _overfit(net, lambda mod, b: tdc_loss(mod(b["d"], b["c"]), b["y"], cfg), data)
    assert last < 0.05 and first > 2.0
    with torch.no_grad():
        assert (net.eval()(d, c).argmax(-1) == y).all()


@pytest.mark.parametrize("kind", ["cnn2d", "cnn3d"])
def test_cnn_overfits_tiny_batch(kind):
    torch.manual_seed(0)
    x, _, y = _batch()
    net = CNN2DNet(CPU.cnn) if kind == "cnn2d" else CNN3DNet(CPU.cnn, 8, 4)
    first, last = _overfit(net, lambda mod, b: F.mse_loss(mod(b["x"]), b["y"]), {"x": x, "y": y}, steps=300)
    assert last < 0.02 * first and last < 0.05


def test_flop_counter_matches_closed_form_for_linear():
    lin = torch.nn.Linear(10, 7)
    assert count_flops(lin, torch.zeros(5, 10)) == 2 * 10 * 7
    assert count_params(lin) == 77
    net = build_maskdetr(CPU.de, A, G)
    f1 = count_flops(net, *_batch(n=2)[:2])
    f4 = count_flops(net, *_batch(n=4)[:2])
    assert f1 == f4 > 0  # per-sample FLOPs do not depend on the batch size
    assert count_flops(build_maskdetr(CPU.ec, A, G), *_batch(n=2)[:2]) > f1  # EC has more encoder layers


def test_training_checkpoint_resume_equals_uninterrupted(tmp_path):
    x, m, y = _batch(n=40)
    data = {"x": x, "m": m, "y": y}

    def loss_fn(mod, b):
        return F.mse_loss(mod(b["x"]), b["y"])

    cfg = TrainConfig(epochs=6, batch_size=8, lr=1e-3, patience=100, lr_patience=1, val_fraction=0.2)
    torch.manual_seed(0)
    ref = CNN2DNet(CPU.cnn)
    init = {k: v.clone() for k, v in ref.state_dict().items()}
    info_ref = train_model(ref, loss_fn, data, cfg, seed=3)

    net = CNN2DNet(CPU.cnn)
    net.load_state_dict(init)
    train_model(net, loss_fn, data, dataclasses.replace(cfg, epochs=3), seed=3, checkpoint_dir=tmp_path)
    assert (tmp_path / "checkpoint.json").is_file() and (tmp_path / "model.safetensors").is_file()
    net2 = CNN2DNet(CPU.cnn)  # fresh process: weights come from the checkpoint only
    info = train_model(net2, loss_fn, data, cfg, seed=3, checkpoint_dir=tmp_path)
    assert info.epochs_run == 6
    np.testing.assert_allclose([h["val"] for h in info.history], [h["val"] for h in info_ref.history],
                               rtol=1e-4)
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(net2.state_dict()[k], v, atol=1e-5, rtol=1e-4)


def test_early_stopping_triggers():
    x, m, y = _batch(n=40)
    y = torch.randn(40, 3)  # unlearnable targets: validation never improves for long
    cfg = TrainConfig(epochs=200, batch_size=8, lr=1e-2, patience=3, lr_patience=1, val_fraction=0.25)
    info = train_model(CNN2DNet(CPU.cnn), lambda mod, b: F.mse_loss(mod(b["x"]), b["y"]), {"x": x, "y": y},
                       cfg)
    assert info.stopped == "early_stopping" and info.epochs_run < 200
    assert info.epochs_run - 1 - info.best_epoch == 3


def test_paper_preset_networks_build_and_run():
    """The `paper` (GPU) preset: SPEC 4.3 sizes build and produce the right shapes on the zhao-tbf input."""
    from radiomap.localize.loanet.config import PAPER

    x = torch.rand(1, 128, PAPER.n_taps)
    m = (x > 0.5).float()
    for backbone, layers in (("de", 4), ("ec", 6)):
        net = build_maskdetr(PAPER.detr(backbone), 128, PAPER.n_taps).eval()
        assert len(net.encoder.layers) == layers and net.queries.shape[1] == 4 and net.pos.shape[-1] == 256
        with torch.no_grad():
            assert net(x, m).shape == (1, 3)
    tdc = build_tdc(PAPER.tdc, 112).eval()
    with torch.no_grad():
        assert tdc(torch.rand(1, 112), torch.randn(1, 3)).shape == (1, 16)
    assert PAPER.train_reg.batch_size == 8 and PAPER.train_tdc.batch_size == 16 and PAPER.train_reg.patience == 100
