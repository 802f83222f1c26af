"""Two CPU processes with gloo, launched by torchrun, end with identical parameters."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

FIXTURES = Path(__file__).parents[1] / "fixtures"

SCRIPT = """
import faulthandler, os, sys
from safetensors.torch import save_file
import rnnkit

faulthandler.dump_traceback_later(120, exit=True)  # a hung rank shows where, then exits

out, data = sys.argv[1], sys.argv[2]
lm = rnnkit.train("lm", data=data, out=out, max_steps=6, hidden_size=16, embedding_dim=8,
                  num_layers=1, batch_size=2, bptt=8, eval_every=3, progress=False, seed=0)
params = {k: v.contiguous() for k, v in lm.model.state_dict().items()}
save_file(params, os.path.join(out, f"params_rank{os.environ['RANK']}.safetensors"))
"""


@pytest.mark.serial  # once, under two pytest workers and a busy machine, a rank hung
def test_two_process_ddp_ends_with_identical_parameters_and_one_run(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(textwrap.dedent(SCRIPT))
    out = tmp_path / "run"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(script),
            str(out),
            str(FIXTURES / "tiny.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = load_file(out / "params_rank0.safetensors")
    rank1 = load_file(out / "params_rank1.safetensors")
    saved = load_file(out / "model.safetensors")
    assert rank0.keys() == rank1.keys()
    for k in rank0:
        assert torch.equal(rank0[k], rank1[k]), k
        assert torch.equal(rank0[k], saved[k]), k
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    # written once (rank 0), not once per rank: the slices at steps 3 and 6, then the full one
    assert [(r["step"], r["full"]) for r in records] == [(3, False), (6, False), (6, True)]
