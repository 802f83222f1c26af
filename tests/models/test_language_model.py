import pytest
import torch
from torch.testing import assert_close

from rnnkit.models import RNNLanguageModel


def test_shapes_batch_first():
    model = RNNLanguageModel(11, embedding_dim=8, hidden_size=16, num_layers=2)
    logits, (h, c) = model(torch.randint(0, 11, (3, 5)))
    assert logits.shape == (3, 5, 11)
    assert h.shape == c.shape == (2, 3, 16)  # state is never batch first


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"cell": "gru", "tie_weights": True},  # a projection to E before the tied decoder
        {"cell": "rnn", "dropout": 0.3},
        {"cell": "mingru"},
        {"cell": "minlstm", "tie_weights": True},
        {"layer_norm": True},
    ],
)
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
def test_stepwise_logits_equal_full_sequence_logits(device, options):
    torch.manual_seed(0)
    model = RNNLanguageModel(13, embedding_dim=8, hidden_size=12, num_layers=2, **options)
    model = model.to(device).eval()
    x = torch.randint(0, 13, (2, 9), device=device)
    full, _ = model(x)
    state, steps = None, []
    for t in range(x.size(1)):
        logits, state = model.step(x[:, t], state)
        steps.append(logits)
    assert_close(torch.stack(steps, dim=1), full, atol=1e-5, rtol=1e-4)


def test_tied_weights_share_one_tensor_and_project_when_sizes_differ():
    model = RNNLanguageModel(20, embedding_dim=8, hidden_size=16, tie_weights=True)
    assert model.decoder.weight is model.embedding.weight
    assert model.projection is not None
    logits, _ = model(torch.randint(0, 20, (2, 3)))
    assert logits.shape == (2, 3, 20)
