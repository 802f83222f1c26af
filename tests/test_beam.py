"""Greedy and beam search on hand-built decoders whose probabilities are known."""

import math

import pytest
import torch

from rnnkit.beam import beam_search, greedy_search
from rnnkit.errors import ConfigError
from rnnkit.models.seq2seq import Seq2Seq

BOS, EOS, A, B = 0, 1, 2, 3

# next-token probabilities given the last token (rows: BOS, EOS, A, B; columns: BOS, EOS, A, B)
TRAP = torch.tensor(
    [
        [0.0, 0.0, 0.6, 0.4],  # first token: A looks best...
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.34, 0.33, 0.33],  # ...but after A nothing is likely
        [0.0, 0.9, 0.05, 0.05],  # after B, <eos> almost surely
    ]
)
NEVER_STOPS = torch.tensor(
    [[0.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.7, 0.3], [0.0, 0.0, 0.3, 0.7]]
)


def _decoder(tables):
    """A decoder over a batch of rows, row i following ``tables[i]``; the state is the
    row's table index, so selecting rows of the state follows the beams."""
    log_tables = torch.stack(tables).log()  # (R, 4, 4)

    def step(y, state):
        return log_tables[state, y], state  # (B, 4)

    def select(state, index):
        return state.index_select(0, index)

    return step, select


def _search(tables, beam, max_length=10, length_penalty=1.0):
    step, select = _decoder(tables)
    state = torch.arange(len(tables))
    common = dict(batch_size=len(tables), bos_id=BOS, eos_id=EOS, max_length=max_length)
    if beam == 0:
        return greedy_search(step, state, **common)
    return beam_search(step, state, select, beam_size=beam, length_penalty=length_penalty, **common)


def test_beam_finds_the_best_sequence_where_greedy_does_not():
    assert _search([TRAP], beam=0) == [[A]]  # greedy: A (0.6), then <eos> (0.34)
    ids, scores = _search([TRAP], beam=2)
    assert ids == [[B]]  # B (0.4), then <eos> (0.9): 0.36 > 0.204
    assert scores[0] == pytest.approx((math.log(0.4) + math.log(0.9)) / 2, rel=1e-5)
    ids, scores = _search([TRAP], beam=2, length_penalty=0.0)  # raw log-probabilities
    assert ids == [[B]] and scores[0] == pytest.approx(math.log(0.36), rel=1e-5)


def test_beam_of_one_equals_greedy():
    assert _search([TRAP], beam=1)[0] == _search([TRAP], beam=0)


def test_rows_of_a_batch_are_searched_independently():
    tables = [TRAP, NEVER_STOPS, TRAP]
    together, scores = _search(tables, beam=3, max_length=6)
    for i, table in enumerate(tables):
        alone, alone_scores = _search([table], beam=3, max_length=6)
        assert together[i] == alone[0]
        assert scores[i] == pytest.approx(alone_scores[0], rel=1e-5)


def test_the_maximum_length_guard_stops_a_decoder_that_never_ends():
    assert _search([NEVER_STOPS], beam=0, max_length=7) == [[A] * 7]
    ids, _ = _search([NEVER_STOPS], beam=3, max_length=7)
    assert len(ids[0]) == 7 and EOS not in ids[0]
    mixed = _search([NEVER_STOPS, TRAP], beam=0, max_length=5)
    assert mixed == [[A] * 5, [A]]  # the finished row stays finished


def test_bad_arguments_are_refused():
    with pytest.raises(ConfigError, match="max_length"):
        _search([TRAP], beam=0, max_length=0)
    with pytest.raises(ConfigError, match="beam size"):
        _search([TRAP], beam=-1)


def test_beam_of_one_equals_greedy_on_a_seq2seq_model():
    torch.manual_seed(0)
    model = Seq2Seq(12, 9, embedding_dim=8, hidden_size=16, attention="additive").eval()
    src = torch.randint(4, 12, (5, 6))
    lengths = torch.tensor([6, 2, 4, 6, 1])

    def step(y, state):
        return model.step(y, state)[:2]

    common = dict(batch_size=5, bos_id=2, eos_id=3, max_length=12)
    greedy = greedy_search(step, model.start(src, lengths), **common)
    select = type(model.start(src, lengths)).select
    beam, _ = beam_search(step, model.start(src, lengths), select, beam_size=1, **common)
    assert greedy == beam
    wide, scores = beam_search(
        step, model.start(src, lengths), select, beam_size=4, length_penalty=1.0, **common
    )
    for row, (ids, score) in enumerate(zip(wide, scores)):  # the bookkeeping is exact
        ended = len(ids) < 12
        tgt = torch.tensor([[2, *ids, 3] if ended else [2, *ids]])
        log_probs = model(src[row : row + 1], lengths[row : row + 1], tgt[:, :-1]).log_softmax(-1)
        total = log_probs[0].gather(1, tgt[0, 1:, None]).sum().item()
        assert score == pytest.approx(total / (tgt.size(1) - 1), rel=1e-4, abs=1e-5)
