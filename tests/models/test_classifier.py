"""SequenceClassifier: padding never changes a prediction, and "last" pooling reads the
true final state of each direction."""

import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from rnnkit.errors import ConfigError
from rnnkit.models.classifier import POOLINGS, SequenceClassifier


def _model(cell="gru", pooling="last", bidirectional=True, num_layers=2, ngrams=0):
    torch.manual_seed(0)
    return SequenceClassifier(
        20,
        4,
        6,
        5,
        num_layers,
        cell,
        0.0,
        bidirectional=bidirectional,
        pooling=pooling,
        ngrams=ngrams,
        ngram_buckets=97,
    ).eval()


SEQS = [torch.tensor(s) for s in ([5, 6, 7], [3, 4, 5, 6, 7, 8, 9], [9], [2, 3, 4, 5])]


@pytest.mark.parametrize("ngrams", [0, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("cell", ["gru", "lstm", "mingru"])
def test_padding_never_changes_a_prediction(cell, pooling, bidirectional, ngrams):
    model = _model(cell, pooling, bidirectional, ngrams=ngrams)
    x = pad_sequence(SEQS, batch_first=True)  # (4, 7), padded with 0
    lengths = torch.tensor([len(s) for s in SEQS])
    with torch.no_grad():
        batched = model(x, lengths)  # (4, K)
        for i, seq in enumerate(SEQS):
            alone = model(seq.unsqueeze(0), torch.tensor([len(seq)]))  # (1, K)
            torch.testing.assert_close(batched[i], alone[0], atol=1e-6, rtol=1e-5)
        # more padding after the same batch changes nothing either
        wider = torch.cat([x, torch.zeros(4, 5, dtype=torch.long)], dim=1)
        torch.testing.assert_close(model(wider, lengths), batched, atol=1e-6, rtol=1e-5)


def test_the_ngram_bag_is_concatenated_after_the_pooled_vector():
    model = _model("gru", "max", True, ngrams=3)
    x, lengths = torch.tensor([[5, 6, 7, 0]]), torch.tensor([3])
    with torch.no_grad():
        pooled = model.encode(x, lengths)  # (1, 2H + E)
        assert pooled.shape == (1, 2 * 5 + 6)
        torch.testing.assert_close(pooled[:, 10:], model.ngram_bag(x, lengths))
        torch.testing.assert_close(pooled[:, :10], model._pool(x, lengths))


def test_the_character_bag_follows_the_token_bag_and_ignores_padding():
    torch.manual_seed(0)
    model = SequenceClassifier(20, 4, 6, 5, ngrams=3, ngram_buckets=97, char_ngrams=4).eval()
    x, lengths = torch.tensor([[5, 6, 7], [8, 9, 0]]), torch.tensor([3, 2])
    chars = torch.tensor([[104, 105, 32, 121, 111], [111, 107, 0, 0, 0]])  # "hi yo", "ok"
    char_lengths = torch.tensor([5, 2])
    with torch.no_grad():
        pooled = model.encode(x, lengths, chars, char_lengths)  # (2, 2H + E + E)
        assert pooled.shape == (2, 2 * 5 + 6 + 6)
        torch.testing.assert_close(pooled[:, 16:], model.char_bag(chars, char_lengths))
        alone = model(x[1:, :2], lengths[1:], chars[1:, :2], char_lengths[1:])
        torch.testing.assert_close(model(x, lengths, chars, char_lengths)[1:], alone)
        other = model(x, lengths, chars.flip(1), char_lengths)  # other characters
        assert not torch.allclose(other, model(x, lengths, chars, char_lengths))
    with pytest.raises(ConfigError, match="characters"):
        model(x, lengths)


def test_padding_changes_the_logits_when_it_is_read_negative_control():
    model = _model("gru", "mean", True)
    seq = SEQS[0]
    padded = torch.cat([seq, torch.zeros(4, dtype=torch.long)]).unsqueeze(0)  # (1, 7)
    with torch.no_grad():
        honest = model(padded, torch.tensor([3]))
        fooled = model(padded, torch.tensor([7]))  # the padding counted as tokens
    assert not torch.allclose(honest, fooled, atol=1e-4)


def test_last_pooling_is_forward_at_the_last_token_and_backward_at_the_first():
    model = _model("gru", "last", True, num_layers=1)
    seq = SEQS[1]
    with torch.no_grad():
        emb = model.embedding(seq.unsqueeze(0))  # (1, L, E)
        out, _ = model.rnn(emb)  # (1, L, 2H)
        H = out.size(-1) // 2
        expected = torch.cat([out[0, -1, :H], out[0, 0, H:]])  # (2H,)
        x = torch.cat([seq, torch.zeros(3, dtype=torch.long)]).unsqueeze(0)
        pooled = model.encode(x, torch.tensor([len(seq)]))  # (1, 2H)
    torch.testing.assert_close(pooled[0], expected)


def test_mean_pooling_averages_the_real_positions_only():
    model = _model("lstm", "mean", False, num_layers=1)
    seq = SEQS[0]
    with torch.no_grad():
        out, _ = model.rnn(model.embedding(seq.unsqueeze(0)))  # (1, 3, H)
        x = torch.cat([seq, torch.zeros(4, dtype=torch.long)]).unsqueeze(0)
        pooled = model.encode(x, torch.tensor([3]))
    torch.testing.assert_close(pooled[0], out[0].mean(0))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"pooling": "sum"}, "pooling"),
        ({"num_classes": 1}, "num_classes"),
        ({"vocab_size": 0}, "vocab_size"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs, match):
    args = {"vocab_size": 10, "num_classes": 3, **kwargs}
    with pytest.raises(ConfigError, match=match):
        SequenceClassifier(**args)


def test_zero_length_sequences_are_refused():
    model = _model()
    with pytest.raises(ConfigError, match="length >= 1"):
        model(torch.tensor([[1, 2]]), torch.tensor([0]))


def test_word_dropout_zeroes_whole_tokens_in_training_only():
    torch.manual_seed(0)
    model = SequenceClassifier(20, 4, 6, 5, 1, "gru", 0.0, pooling="max", word_dropout=0.5)
    x = torch.randint(1, 20, (64, 9))
    seen = {}
    model.word_dropout.register_forward_hook(lambda m, i, o: seen.update(emb=o))
    model.train()
    model(x, torch.full((64,), 9))
    zeroed = (seen["emb"] == 0).all(dim=-1)  # (64, 9): whole vectors, never single entries
    assert 0.3 < zeroed.float().mean() < 0.7
    kept = seen["emb"][~zeroed]
    torch.testing.assert_close(kept, 2.0 * model.embedding(x)[~zeroed])  # scaled by 1/(1-p)
    model.eval()
    with torch.no_grad():
        first = model(x, torch.full((64,), 9))
        torch.testing.assert_close(model(x, torch.full((64,), 9)), first)
    assert not (seen["emb"] == 0).all(dim=-1).any()
