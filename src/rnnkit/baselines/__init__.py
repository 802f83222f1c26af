"""Classical baselines with one fit / score interface, in scikit-learn's habits.

Hyperparameters are stored unchanged by ``__init__``; what ``fit`` learns ends in
an underscore; ``fit`` returns self.
"""

from rnnkit.baselines.ngram import KneserNeyLM

__all__ = ["KneserNeyLM"]
