"""The encoder-decoder: one path for training and decoding, padding never read, masks."""

import pytest
import torch

from rnnkit.errors import ConfigError
from rnnkit.models.seq2seq import ATTENTIONS, Seq2Seq


def _batch():
    src = torch.tensor([[4, 5, 6, 7, 8], [9, 10, 0, 0, 0], [11, 12, 13, 0, 0]])  # (3, 5)
    lengths = torch.tensor([5, 2, 3])
    tgt_in = torch.tensor([[2, 4, 5, 6], [2, 7, 8, 9], [2, 10, 11, 12]])  # (3, 4)
    return src, lengths, tgt_in


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell,num_layers", [("gru", 1), ("lstm", 2), ("gru", 3), ("rnn", 2)])
def test_teacher_forced_logits_equal_step_by_step_decoding(attention, cell, num_layers):
    torch.manual_seed(0)
    model = Seq2Seq(
        16, 14, embedding_dim=6, hidden_size=8, num_layers=num_layers, cell=cell,
        attention=attention,
    ).eval()  # fmt: skip
    src, lengths, tgt_in = _batch()
    log_probs = model(src, lengths, tgt_in).log_softmax(-1)  # (3, 4, 14)
    state = model.start(src, lengths)
    for t in range(tgt_in.size(1)):
        step_log_probs, state, weights = model.step(tgt_in[:, t], state)
        torch.testing.assert_close(step_log_probs, log_probs[:, t])
        assert (weights is None) == (attention == "none")


@pytest.mark.parametrize("attention", ["additive", "dot", "general"])
def test_padding_gets_no_attention_and_an_example_alone_equals_it_in_a_batch(attention):
    torch.manual_seed(0)
    model = Seq2Seq(16, 14, embedding_dim=6, hidden_size=8, attention=attention).eval()
    src, lengths, tgt_in = _batch()
    logits = model(src, lengths, tgt_in)
    _, _, weights = model.decoder(tgt_in, model.start(src, lengths))  # (3, 4, 5)
    assert torch.all(weights[1, :, 2:] == 0) and torch.all(weights[2, :, 3:] == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4))
    for i in range(3):
        L = int(lengths[i])
        alone = model(src[i : i + 1, :L], lengths[i : i + 1], tgt_in[i : i + 1])
        torch.testing.assert_close(alone[0], logits[i])


def test_the_decoder_reads_the_source_through_attention():
    torch.manual_seed(0)
    model = Seq2Seq(16, 14, embedding_dim=6, hidden_size=8).eval()
    src, lengths, tgt_in = _batch()
    other = src.clone()
    other[0, 3] = 15  # change a source token the encoder's final states also see
    assert not torch.allclose(model(src, lengths, tgt_in), model(other, lengths, tgt_in))
    other = src.clone()
    other[1, 3] = 15  # ... and one at a padded position, which must not matter
    torch.testing.assert_close(model(other, lengths, tgt_in), model(src, lengths, tgt_in))


def test_scheduled_sampling_feeds_the_truth_at_ratio_one_and_guesses_at_zero():
    torch.manual_seed(0)
    model = Seq2Seq(16, 14, embedding_dim=6, hidden_size=8, num_layers=2).train()
    src, lengths, tgt_in = _batch()
    forced = model(src, lengths, tgt_in)  # dropout is 0: train mode changes nothing
    torch.testing.assert_close(model(src, lengths, tgt_in, teacher_forcing=0.9999999), forced)
    free = model(src, lengths, tgt_in, teacher_forcing=0.0)
    torch.testing.assert_close(free[:, 0], forced[:, 0])  # the first input is always <bos>
    guesses = torch.cat([tgt_in[:, :1], free[:, :-1].argmax(-1)], dim=1)
    torch.testing.assert_close(free, model(src, lengths, guesses))
    free.sum().backward()
    assert all(p.grad is not None for p in model.encoder.parameters() if p.requires_grad)


def test_state_select_follows_the_rows():
    torch.manual_seed(0)
    model = Seq2Seq(16, 14, embedding_dim=6, hidden_size=8, cell="lstm", num_layers=2).eval()
    src, lengths, tgt_in = _batch()
    state = model.start(src, lengths)
    picked = state.select(torch.tensor([2, 2, 0]))
    torch.testing.assert_close(picked.memory, state.memory[[2, 2, 0]])
    torch.testing.assert_close(picked.bottom[1], state.bottom[1][:, [2, 2, 0]])
    torch.testing.assert_close(picked.upper[0], state.upper[0][:, [2, 2, 0]])
    log_probs, _, _ = model.step(tgt_in[[2, 2, 0], 0], picked)
    full, _, _ = model.step(tgt_in[:, 0], state)
    torch.testing.assert_close(log_probs, full[[2, 2, 0]])


def test_bad_settings_name_the_value():
    with pytest.raises(ConfigError, match="even"):
        Seq2Seq(10, 10, hidden_size=7, bidirectional=True)
    Seq2Seq(10, 10, hidden_size=7, bidirectional=False)  # one direction: any size
    with pytest.raises(ConfigError, match="attention"):
        Seq2Seq(10, 10, hidden_size=8, attention="luong")
    with pytest.raises(ConfigError, match="cell"):
        Seq2Seq(10, 10, hidden_size=8, cell="mingru")


def test_docstring_example_runs():
    import doctest

    from rnnkit.models import seq2seq

    result = doctest.testmod(seq2seq)
    assert result.attempted >= 3 and result.failed == 0
