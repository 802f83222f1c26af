"""The CUDA paths: cuDNN against our own cells, padding, bf16 training, saving from the GPU.

Skipped without a GPU (CI has none); run them on one with ``python -m pytest tests/test_cuda.py``.
Tests elsewhere that take a ``device`` parameter run on CUDA too when there is one.
"""

import pytest
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.testing import assert_close

import rnnkit
from rnnkit.models import RNNLanguageModel
from rnnkit.models.classifier import SequenceClassifier
from rnnkit.nn import make_recurrent

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
CUDA = torch.device("cuda")


@pytest.fixture(autouse=True)
def _exact_float32():
    # TF32 matmuls would make the comparisons below tolerance games
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_cudnn_and_our_cells_agree_forward_and_backward(cell):
    torch.manual_seed(0)
    cudnn = make_recurrent(cell, 8, 16, 2, bidirectional=True, backend="torch").to(CUDA)
    ours = make_recurrent(cell, 8, 16, 2, bidirectional=True, backend="scratch").to(CUDA)
    ours.load_state_dict(cudnn.state_dict())
    x = torch.randn(7, 3, 8, device=CUDA, requires_grad=True)  # (L, N, H_in)
    out_a, _ = cudnn(x)
    (grad_a,) = torch.autograd.grad(out_a.square().sum(), x)
    out_b, _ = ours(x)
    (grad_b,) = torch.autograd.grad(out_b.square().sum(), x)
    assert_close(out_b, out_a, atol=1e-5, rtol=1e-4)
    assert_close(grad_b, grad_a, atol=1e-5, rtol=1e-4)


def test_the_same_weights_give_the_same_logits_on_cpu_and_cuda():
    torch.manual_seed(0)
    model = RNNLanguageModel(13, embedding_dim=8, hidden_size=12, num_layers=2).eval()
    x = torch.randint(0, 13, (2, 9))
    on_cpu, _ = model(x)
    on_gpu, _ = model.to(CUDA)(x.to(CUDA))
    assert_close(on_gpu.cpu(), on_cpu, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("pooling", ["last", "max", "attention"])
def test_padding_never_changes_a_prediction_on_cuda(pooling):
    torch.manual_seed(0)
    model = SequenceClassifier(20, 4, 6, 5, 2, "gru", pooling=pooling, ngrams=3).to(CUDA).eval()
    seqs = [torch.tensor(s) for s in ([5, 6, 7], [3, 4, 5, 6, 7, 8, 9], [9])]
    x = pad_sequence(seqs, batch_first=True).to(CUDA)  # (3, 7)
    lengths = torch.tensor([len(s) for s in seqs])
    with torch.no_grad():
        batched = model(x, lengths)
        for i, seq in enumerate(seqs):
            alone = model(seq.unsqueeze(0).to(CUDA), torch.tensor([len(seq)]))
            assert_close(batched[i], alone[0], atol=1e-5, rtol=1e-4)


def test_lm_trains_in_bf16_on_cuda_and_reloads_on_cpu(tmp_path, fixtures):
    lm = rnnkit.train(
        "lm",
        data=str(fixtures / "tiny.txt"),
        out=tmp_path / "run",
        device="cuda",
        max_steps=30,
        hidden_size=32,
        embedding_dim=16,
        bptt=16,
        batch_size=4,
        eval_every=15,
        progress=False,
    )
    rows = [r for r in lm.run.read_metrics() if "train_loss" in r]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert next(lm.model.parameters()).dtype == torch.float32  # autocast, not a cast
    again = rnnkit.load(tmp_path / "run", device="cpu")
    assert again.generate("ab", max_new=20, seed=1) == again.generate("ab", max_new=20, seed=1)
