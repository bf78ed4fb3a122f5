"""Suite-wide fixtures."""

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tests run two workers on two cores (``pytest -n 2``): one torch thread each, restored afterwards."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
