import os
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
    # The processes the tests start (the CLI, DDP workers, notebook kernels) get one thread
    # too: under `make test`'s two pytest workers, children on two threads each would ask
    # four cores of two, and OpenMP's waiting threads then slow tiny models manyfold.
    threads, omp = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    yield
    torch.set_num_threads(threads)
    if omp is None:
        os.environ.pop("OMP_NUM_THREADS", None)
