"""Recurrent building blocks on PyTorch; imports nothing from the rest of rnnkit but errors.

Cells and stacks follow torch.nn's contract (arguments, shapes, return values,
parameter names), so state_dicts load both ways between these modules and
torch.nn.
"""

from rnnkit.nn.attention import AdditiveAttention, MultiplicativeAttention, masked_softmax
from rnnkit.nn.cells import GRUCell, LSTMCell, RNNCell
from rnnkit.nn.crf import CRF
from rnnkit.nn.dropout import LockedDropout, WordDropout
from rnnkit.nn.factory import CELLS, make_recurrent
from rnnkit.nn.minimal import MinGRU, MinLSTM
from rnnkit.nn.ngrams import NGramBag
from rnnkit.nn.recurrent import GRU, LSTM, RNN

__all__ = [
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "RNN",
    "LSTM",
    "GRU",
    "MinGRU",
    "MinLSTM",
    "CRF",
    "AdditiveAttention",
    "MultiplicativeAttention",
    "masked_softmax",
    "LockedDropout",
    "WordDropout",
    "NGramBag",
    "CELLS",
    "make_recurrent",
]
