import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The test machine's cores are shared: keep torch on one thread, restore afterwards."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
