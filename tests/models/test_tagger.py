"""SequenceTagger: padding is never read, CRF decoding respects masks, the character encoder
spells unseen words, and a tiny tagger fits a tiny corpus."""

import doctest

import pytest
import torch

from rnnkit.data.batching import collate_tagged
from rnnkit.errors import ConfigError
from rnnkit.models import tagger as tagger_module
from rnnkit.models.tagger import SequenceTagger
from rnnkit.nn.ngrams import hashed_ngrams

SENTENCES = [[5, 6, 7], [3, 4, 5, 6, 7, 8, 9], [9], [2, 3, 4, 5]]  # word ids


def _item(words, seed=0):
    g = torch.Generator().manual_seed(seed + len(words))
    chars = [torch.randint(4, 15, (1 + w % 4,), generator=g) for w in words]
    return torch.tensor(words), torch.tensor([w % 3 for w in words]), chars


def _model(crf=True, chars=True, cell="lstm", seed=0, char_ngrams=0):
    torch.manual_seed(seed)
    return SequenceTagger(
        20, 3, 6, 5, 2, cell, 0.0, char_vocab_size=15 if chars else 0, char_hidden_size=4,
        char_ngrams=char_ngrams, char_ngram_buckets=101, crf=crf,
    ).eval()  # fmt: skip


@pytest.mark.parametrize("crf", [True, False])
@pytest.mark.parametrize("cell,char_ngrams", [("lstm", 0), ("gru", 0), ("lstm", 3)])
def test_padding_never_changes_emissions_loss_or_tags(crf, cell, char_ngrams):
    model = _model(crf, cell=cell, char_ngrams=char_ngrams)
    items = [_item(s) for s in SENTENCES]
    batch = collate_tagged(items)
    with torch.no_grad():
        emissions = model(batch.x, batch.lengths, batch.chars, batch.char_lengths)  # (4, 7, 3)
        tags = model.decode(emissions, batch.mask)
        total = model.loss(emissions, batch.tags, batch.mask) * batch.mask.sum()
        alone_total = 0.0
        for i, item in enumerate(items):
            one = collate_tagged([item])
            e = model(one.x, one.lengths, one.chars, one.char_lengths)  # (1, L_i, 3)
            n = len(SENTENCES[i])
            torch.testing.assert_close(emissions[i, :n], e[0], atol=1e-6, rtol=1e-5)
            assert tags[i] == model.decode(e, one.mask)[0] and len(tags[i]) == n
            alone_total += model.loss(e, one.tags, one.mask) * n
    torch.testing.assert_close(total, alone_total, atol=1e-4, rtol=1e-5)


def test_padding_tags_do_not_count_in_the_loss():
    model = _model(crf=True)
    batch = collate_tagged([_item(s) for s in SENTENCES])
    emissions = model(batch.x, batch.lengths, batch.chars, batch.char_lengths)
    garbage = batch.tags.masked_fill(~batch.mask, 2)
    torch.testing.assert_close(
        model.loss(emissions, batch.tags, batch.mask), model.loss(emissions, garbage, batch.mask)
    )


def test_reading_the_padding_changes_the_emissions_negative_control():
    model = _model(crf=True, chars=False)
    x = torch.tensor([[5, 6, 7, 0, 0]])
    with torch.no_grad():
        honest = model(x, torch.tensor([3]))
        fooled = model(x, torch.tensor([5]))
    assert not torch.allclose(honest[0, :3], fooled[0, :3], atol=1e-4)


def test_the_character_encoder_tells_unseen_words_apart():
    model = _model(chars=True)
    unk = torch.tensor([[1, 1]])  # two <unk> words, spelled differently
    chars = torch.tensor([[4, 5, 6], [7, 8, 0]])
    with torch.no_grad():
        e = model(unk, torch.tensor([2]), chars, torch.tensor([3, 2]))
        without = _model(chars=False)(unk, torch.tensor([2]))
    assert not torch.allclose(e[0, 0], e[0, 1], atol=1e-4)
    assert model.chars is not None and _model(chars=False).chars is None
    assert without.shape == e.shape
    with pytest.raises(ConfigError, match="chars"):
        model(unk, torch.tensor([2]))


@pytest.mark.parametrize("char_hidden", [4, 0])  # 0: the bag is the only spelling feature
def test_the_char_ngram_bag_gives_each_word_its_own_suffix(char_hidden):
    torch.manual_seed(0)
    model = SequenceTagger(
        20, 3, 6, 5, bidirectional=False, char_vocab_size=15, char_hidden_size=char_hidden,
        char_ngrams=3, char_ngram_buckets=101, crf=False,
    ).eval()  # fmt: skip
    x, lengths = torch.tensor([[5, 6]]), torch.tensor([2])
    chars, char_lengths = torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2])
    with torch.no_grad():
        before = model(x, lengths, chars, char_lengths)
        # the row of the second word's suffix "8$" (ids framed from 3, "$" = 2)
        suffix = hashed_ngrams(torch.tensor([[7, 8]]), torch.tensor([2]), 3, 101)
        row = int(suffix[0, 4 + 2])  # n=1: ^ 7 8 $ (4 slots), then n=2: ^7 78 8$
        model.char_bag.embedding.weight[row] += 1.0
        after = model(x, lengths, chars, char_lengths)
    assert model.char_bag is not None and model.rnn.input_size == 6 + 2 * char_hidden + 25
    assert (model.chars is None) == (char_hidden == 0)
    torch.testing.assert_close(before[0, 0], after[0, 0])  # the first word: not its n-gram
    assert not torch.allclose(before[0, 1], after[0, 1], atol=1e-4)


def test_word_dropout_acts_in_training_only():
    torch.manual_seed(0)
    model = SequenceTagger(20, 3, 6, 5, word_dropout=0.5, crf=False)
    x = torch.randint(4, 20, (8, 10))
    model.train()
    dropped = model.word_dropout(x)
    assert not torch.equal(dropped, x)
    assert (dropped[dropped != x] == 1).all()  # -> <unk>
    model.eval()
    assert torch.equal(model.word_dropout(x), x)


@pytest.mark.parametrize("crf", [True, False])
def test_a_tiny_tagger_fits_a_tiny_corpus(crf):
    torch.manual_seed(0)
    model = SequenceTagger(20, 3, 8, 16, char_vocab_size=15, char_hidden_size=4, crf=crf)
    batch = collate_tagged([_item(s) for s in SENTENCES])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        emissions = model(batch.x, batch.lengths, batch.chars, batch.char_lengths)
        loss = model.loss(emissions, batch.tags, batch.mask)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    model.eval()
    emissions = model(batch.x, batch.lengths, batch.chars, batch.char_lengths)
    truth = [t[:n].tolist() for t, n in zip(batch.tags, batch.lengths)]
    assert model.decode(emissions, batch.mask) == truth


def test_bad_sizes_are_refused():
    with pytest.raises(ConfigError, match="num_tags"):
        SequenceTagger(20, 0)
    model = _model(chars=False)
    with pytest.raises(ConfigError, match="length >= 1"):
        model(torch.tensor([[4, 5]]), torch.tensor([0]))
    with pytest.raises(ConfigError, match="one row per real word"):
        _model()(torch.tensor([[4, 5]]), torch.tensor([2]), torch.ones(3, 2).long(), torch.ones(3))


def test_docstring_example_runs():
    assert doctest.testmod(tagger_module).failed == 0
