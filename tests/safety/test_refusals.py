"""Allocations that could exceed the machine are refused up front, naming the size and what to change;
degenerate inputs get a clear refusal instead of an IndexError."""

import numpy as np
import pytest
import torch

from radiomap.errors import ParameterError
from radiomap.localize.hmm.grid import build_cell_graph
from radiomap.localize.hmm.viterbi import viterbi2
from radiomap.localize.neuralmap.atoms import init_atoms, omp_region
from radiomap.memory import check_allocation, format_bytes

from .conftest import variant


def test_check_allocation_names_size_and_hint():
    with pytest.raises(ParameterError, match=r"the thing needs 8388608\.0 TiB but .* available; raise it"):
        check_allocation(8 * 2.0**60, "the thing", "raise it")
    check_allocation(1024, "a small thing", "-")
    assert format_bytes(1536) == "1.5 KiB" and format_bytes(100) == "100 B"


def test_grid_over_a_huge_walkable_box_is_refused():
    scene = variant("huge", walkable=[[0, 0], [1e5, 0], [1e5, 1e5], [0, 1e5]])
    with pytest.raises(ParameterError, match="walkable box.*fix the scene"):
        scene.grid(0.25)


def test_hmm_cell_graph_over_a_huge_lattice_is_refused():
    xy = np.array([[0.0, 0.0], [2e5, 2e5]])
    with pytest.raises(ParameterError, match="HMM cell graph.*raise resolution="):
        build_cell_graph(xy, 0.25, 2.0)


def test_viterbi_pair_states_are_checked_before_allocation(monkeypatch):
    from radiomap import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 100)  # a machine with 100 bytes free
    with pytest.raises(ParameterError, match="T=4 slots x G=10 cells x R=3 moves"):
        viterbi2(np.zeros((4, 10)), np.zeros((3, 3)), np.zeros((10, 3), int))


def test_omp_over_many_wavelengths_is_refused():
    xy = torch.tensor([[0.0, 0.0], [500.0, 500.0]])
    y = torch.ones(2, 64, dtype=torch.complex64)
    with pytest.raises(ParameterError, match="OMP atom search.*n_regions="):
        omp_region(xy, y, n_antennas=8, n_atoms=4, wavelength=0.06)


def test_empty_neuralmap_region_is_refused():
    rng = np.random.default_rng(0)
    corners = np.concatenate([rng.uniform(0, 0.3, (40, 2)), rng.uniform(1.7, 2.0, (40, 2))])
    pos = np.column_stack([corners, np.full(len(corners), 1.0)])
    csi = (rng.standard_normal((80, 4, 8)) + 1j * rng.standard_normal((80, 4, 8))).astype(np.complex64)
    with pytest.raises(ParameterError, match=r"region \(\d, \d\) of the 3 x 3 region grid holds [01] training"):
        init_atoms(pos, csi, wavelength=0.06, n_regions=(3, 3), atoms_per_region=2)
