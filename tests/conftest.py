from pathlib import Path

import pytest
import torch

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    # Tiny models: more threads only add overhead on a 2-core machine. One setting for the
    # whole session: a module's shared runs are set up before any per-test fixture, and a
    # test that retrains one bit for bit must sum in the same order (tests/tasks/
    # test_contract.py failed alone when its runs trained on 2 threads and its tests on 1).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
