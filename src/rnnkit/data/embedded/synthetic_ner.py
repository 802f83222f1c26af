"""The embedded ``ner`` dataset: a **synthetic** tagged corpus for named-entity recognition.

It is not real text. Each sentence is one of :data:`TEMPLATES`, news-wire
sentences written for this project, with its slots filled from
`Faker <https://pypi.org/project/Faker/>`_ (MIT licence): people's names from
seven locales (English, British, German, French, Spanish, Italian and Dutch),
cities, countries and US states, companies, and dates. Tags are BIO, the types
those of CoNLL-2003 where they exist::

    {PER} , who lives in {LOC} , works for {ORG} .
      ->  Jorge  Sullivan  ,  who  lives  in  Port   Cody   ,  works  for  Gibson-Ford  .
          B-PER  I-PER     O  O    O      O   B-LOC  I-LOC  O  O      O    B-ORG        O

    PER  people: "First Last", "First Middle Last", "Last", "J. Last"; a title
         before a name ("Dr", "President") is O, as in CoNLL-2003
    LOC  cities, countries, US states ("Port Cody", "Paraguay", "New Hampshire")
    ORG  companies ("Patrick, Barrera and Collins", "Wende AG"), "University of
         <city>", "<Last> Bank", acronyms ("HKUST")
    DATE "12 March 2019", "March 2019", "2019", "1996-08-22"

What makes it more than a look-up table: company names are built from surnames
and towns from first names, so the same word is ``B-PER`` in one sentence and
part of an ``ORG`` or ``LOC`` in another; about 40% of the test entities hold a
word never seen in training; plain numbers (``O``) sit beside years (``DATE``);
and the words that tell a person from a company ("who" / "which") can be
several tokens past the entity's first word.

The corpus is generated at load time, deterministically: split ``s`` uses the
random seed ``(seed, s)`` for its templates and its own seeded Faker instances,
so the three splits are fixed and independent. Text is tokenized with
:data:`TOKEN_PATTERN` (words, with inner ``-``, ``'``, ``.`` or ``&``, and single
punctuation marks), the tokenization ``rnnkit predict`` applies to a tag run's
input. The values depend on the installed Faker's lists (Faker 40.x for the
figures in ``docs/tag.md``).
"""

from __future__ import annotations

import functools
import random
import re

from rnnkit.data.conll import TaggedSentence
from rnnkit.data.embedded.files import read_text_file
from rnnkit.errors import ConfigError

__all__ = [
    "TEMPLATES",
    "AMBIGUOUS_TEMPLATES",
    "TYPES",
    "TOKEN_PATTERN",
    "SPLIT_SIZES",
    "generate_ner",
    "load_ner",
    "tokenize_words",
]

TYPES = ("PER", "LOC", "ORG", "DATE")
#: words (with inner - ' . &, so "1996-08-22", "O'Neil", "U.S" stay whole) or one mark
TOKEN_PATTERN = r"\w+(?:[-'’.&]\w+)*|[^\w\s]"
_TOKEN = re.compile(TOKEN_PATTERN)
SPLIT_SIZES = {"train": 4000, "valid": 500, "test": 500}
_SPLIT_SEEDS = {"train": 0, "valid": 1, "test": 2}
_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")

#: Sentences with typed slots ({PER}, {LOC}, {ORG}, {DATE}) and untyped fillers
#: ({NUM}, {TITLE}, {LOCUP}: a location in capitals, as CoNLL-2003's datelines).
TEMPLATES = (
    "{PER} , the chief executive of {ORG} , said on {DATE} that profits rose {NUM} percent .",
    "{ORG} shares fell {NUM} percent in {LOC} on {DATE} .",
    "{TITLE} {PER} arrived in {LOC} on {DATE} for talks with {TITLE} {PER} .",
    "{PER} was born in {LOC} and joined {ORG} in {DATE} .",
    "{ORG} , which is based in {LOC} , hired {PER} as its new director .",
    "{PER} , who lives in {LOC} , works for {ORG} .",
    "The mayor of {LOC} met {PER} and {PER} on {DATE} .",
    "Police in {LOC} said {NUM} people were injured .",
    "{PER} scored twice as {ORG} beat {ORG} {NUM} - {NUM} .",
    "{LOC} and {LOC} signed a trade agreement in {DATE} .",
    "Analysts at {ORG} expect growth in {LOC} to slow .",
    "{ORG} agreed to buy {ORG} for {NUM} million dollars , {PER} told reporters .",
    "In {DATE} , {PER} moved from {LOC} to {LOC} .",
    "{PER} said {ORG} would open an office in {LOC} .",
    "Flights between {LOC} and {LOC} were cancelled on {DATE} .",
    "According to {PER} , the {ORG} plant near {LOC} will close .",
    "{ORG} said it had appointed {PER} to its board .",
    "Thousands marched through {LOC} on {DATE} .",
    "{PER} beat {PER} {NUM} - {NUM} in the final in {LOC} .",
    "The report by {ORG} was published on {DATE} .",
    "{PER} 's lawyer said the case against {ORG} would be heard in {LOC} .",
    "She told {PER} that {ORG} had left {LOC} .",
    "Shares of {ORG} rose after {PER} became chairman .",
    "{LOCUP} {DATE} - {PER} resigned from {ORG} on Monday .",
    "Both {PER} and {ORG} declined to comment .",
    "It was not clear whether {ORG} or {PER} would win the contract .",
    "{PER} visited the {ORG} headquarters in {LOC} last week .",
    "Rain is expected in {LOC} on {DATE} .",
    "About {NUM} people attended the meeting in {LOC} .",
    "Talks will resume in {LOC} in {DATE} , officials said .",
    "{PER} , {NUM} , was elected mayor of {LOC} .",
    "The {LOC} government said {ORG} owed {NUM} million in taxes .",
    'Asked about {PER} , {PER} said : " We will see . "',
    "Representatives of {ORG} , {ORG} and {ORG} met in {LOC} .",
    "{PER} thanked {PER} for the years at {ORG} .",
    "He flew to {LOC} on {DATE} to see {PER} .",
    "Profit at {ORG} rose to {NUM} million in {DATE} from {NUM} million a year earlier .",
    "{PER} joined {ORG} after leaving {ORG} in {DATE} .",
    "Prices in {LOC} rose {NUM} percent in the year to {DATE} .",
    "{ORG} , whose owner {PER} lives in {LOC} , reported a loss .",
    "{PER} , whose company {ORG} is based in {LOC} , was not available .",
    "{ORG} , a {LOC} company , will cut {NUM} jobs .",
    "{PER} , a lawyer from {LOC} , was named to head {ORG} .",
    "Exports from {LOC} to {LOC} grew by {NUM} percent .",
    "{PER} told {ORG} radio that the talks had failed .",
    "{ORG} , who won in {LOC} on {DATE} , play {ORG} next .",
    "Officials from {ORG} will visit {LOC} and {LOC} in {DATE} .",
    "{PER} and {PER} were married in {LOC} in {DATE} .",
    "The court in {LOC} fined {ORG} {NUM} million on {DATE} .",
    "Heavy snow closed roads around {LOC} for {NUM} days .",
    "{NUM} of the {NUM} votes went to {PER} .",
    "Investors sold {ORG} after {ORG} cut its forecast .",
)

#: Sentences where one bare name ({AMB}: a surname, drawn alike for each type) is a
#: person, a company or a place, and only words beyond a clause of 3 to 9 tokens
#: tell which: {PRED} (after it) or {LEAD} (before it) of that type.
AMBIGUOUS_TEMPLATES = (
    "{AMB} , {CLAUSE} , {PRED} .",
    "{AMB} , {CLAUSE} , {PRED} , {CLAUSE} .",
    "In {DATE} {AMB} , {CLAUSE} , {PRED} .",
    "{LEAD} , {CLAUSE} , is {AMB} .",
)
AMBIGUOUS_SHARE = 0.25
_CLAUSES = (
    "according to a statement released on Tuesday",
    "as many in the industry had expected",
    "sources close to the talks said",
    "it emerged late this week",
    "despite the weak economy",
    "in a surprise move on Friday",
    "officials said",
    "for the second year running",
    "the newspaper reported",
    "after months of speculation",
    "as reported earlier",
)
_PREDICATES = {
    "PER": (
        "was born in {LOC}",
        "resigned as coach after {NUM} years",
        "told reporters she was retiring",
        "is married to {PER}",
        "won the race in {LOC}",
        "will serve as finance minister",
        "was sentenced to {NUM} years in prison",
        "celebrated a birthday with {PER}",
    ),
    "ORG": (
        "reported a quarterly loss",
        "will cut {NUM} jobs",
        "was founded in {DATE}",
        "raised its profit forecast",
        "said its shares would be listed in {LOC}",
        "agreed to pay a fine of {NUM} million",
        "opened {NUM} new stores",
        "hired {PER} as chief executive",
    ),
    "LOC": (
        "has a population of {NUM}",
        "lies on the coast near {LOC}",
        "was hit by floods on {DATE}",
        "elected a new mayor",
        "is the capital of the region",
        "will host the summit in {DATE}",
        "declared a state of emergency",
        "borders {LOC}",
    ),
}
_LEADS = {
    "PER": ("The woman who will lead the talks", "The player who scored the goal"),
    "ORG": ("The firm that will build the bridge", "The bank that lent the money"),
    "LOC": ("The town that will host the games", "The city where the talks were held"),
}
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "President", "Professor", "Minister", "Senator", "coach")
_ORG_WORDS = ("Bank", "Group", "Holdings", "Foundation", "Airlines", "Motors", "Institute")
_MAX_LOC_WORDS = 3


def tokenize_words(text: str) -> list[str]:
    """Split text into words and single punctuation marks (:data:`TOKEN_PATTERN`).

    Example:
        >>> tokenize_words("Sung Kim teaches at HKUST, since 1996-08-22.")
        ['Sung', 'Kim', 'teaches', 'at', 'HKUST', ',', 'since', '1996-08-22', '.']
    """
    return _TOKEN.findall(text)


class _Filler:
    """Draws slot values from seeded Faker instances and a seeded ``random.Random``."""

    def __init__(self, seed: int) -> None:
        try:
            from faker import Faker
        except ImportError:  # pragma: no cover - faker is a dependency
            raise ConfigError("the embedded 'ner' data need Faker: pip install faker") from None
        self.rng = random.Random(seed)
        self.fakers = []
        for i, locale in enumerate(_LOCALES):
            fake = Faker(locale)
            fake.seed_instance(seed * 1000 + i)
            for provider in fake.get_providers():
                # it_IT builds its city list from a set, in an order that changes with
                # PYTHONHASHSEED; a sorted copy on this instance makes the draws repeatable
                if isinstance(getattr(provider, "cities", None), list):
                    provider.cities = sorted(provider.cities)
            self.fakers.append(fake)
        self.en = self.fakers[0]

    def _fake(self):
        return self.rng.choice(self.fakers)

    def person(self) -> str:
        fake, r = self._fake(), self.rng.random()
        if r < 0.6:
            return f"{fake.first_name()} {fake.last_name()}"
        if r < 0.72:
            return f"{fake.first_name()} {fake.first_name()} {fake.last_name()}"
        if r < 0.9:
            return fake.last_name()
        return f"{fake.first_name()[0]}. {fake.last_name()}"

    def location(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return self._fake().city()
        if r < 0.85:
            for _ in range(20):
                country = self.en.country()
                if len(country.split()) <= _MAX_LOC_WORDS:
                    return country
            return self.en.city()
        return self.en.state()

    def organisation(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return self._fake().company()
        if r < 0.7:
            return f"{self._fake().last_name()} {self.rng.choice(_ORG_WORDS)}"
        if r < 0.82:
            return f"University of {self._fake().city()}"
        if r < 0.92:
            return "".join(
                self.rng.choice("ABCDEFGHIKLMNPRSTUVW") for _ in range(self.rng.randint(2, 5))
            )
        return f"{self._fake().city()} United"

    def date(self) -> str:
        rng, r = self.rng, self.rng.random()
        year = rng.randint(1950, 2030)
        month = rng.randrange(12)
        if r < 0.35:
            return f"{rng.randint(1, 28)} {_MONTHS[month]} {year}"
        if r < 0.6:
            return f"{_MONTHS[month]} {year}"
        if r < 0.8:
            return str(year)
        if r < 0.9:
            return f"{_MONTHS[month]} {rng.randint(1, 28)}"
        return f"{year}-{month + 1:02d}-{rng.randint(1, 28):02d}"

    def number(self) -> str:
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.randint(2, 99))
        if r < 0.8:
            return f"{self.rng.randint(1, 20)}.{self.rng.randint(1, 9)}"
        return str(self.rng.randint(100, 2500))

    def value(self, slot: str, ambiguous: str) -> tuple[str, str | None, bool]:
        """``(text, entity type or None, whether text is a template to fill)`` for a slot;
        ``ambiguous`` is the type this sentence's {AMB} name has."""
        if slot == "PER":
            return self.person(), "PER", False
        if slot == "LOC":
            return self.location(), "LOC", False
        if slot == "LOCUP":
            return self.location().upper(), "LOC", False
        if slot == "ORG":
            return self.organisation(), "ORG", False
        if slot == "DATE":
            return self.date(), "DATE", False
        if slot == "AMB":
            return self._fake().last_name(), ambiguous, False
        if slot == "NUM":
            return self.number(), None, False
        if slot == "TITLE":
            return self.rng.choice(_TITLES), None, False
        if slot == "CLAUSE":
            return self.rng.choice(_CLAUSES), None, False
        if slot == "PRED":
            return self.rng.choice(_PREDICATES[ambiguous]), None, True
        if slot == "LEAD":
            return self.rng.choice(_LEADS[ambiguous]), None, True
        raise ConfigError(f"unknown template slot {{{slot}}}")


_SLOT = re.compile(r"\{([A-Z]+)\}")


def _fill(
    template: str, filler: _Filler, ambiguous: str, tokens: list[str], tags: list[str]
) -> None:
    """Append the tokens and BIO tags of ``template`` with its slots filled."""

    def plain(text: str) -> None:
        words = tokenize_words(text)
        tokens.extend(words)
        tags.extend(["O"] * len(words))

    pos = 0
    for match in _SLOT.finditer(template):
        plain(template[pos : match.start()])
        text, kind, nested = filler.value(match.group(1), ambiguous)
        if nested:
            _fill(text, filler, ambiguous, tokens, tags)
        elif kind is None:
            plain(text)
        else:
            words = tokenize_words(text)
            tokens.extend(words)
            tags.extend(("B-" if i == 0 else "I-") + kind for i in range(len(words)))
        pos = match.end()
    plain(template[pos:])


def generate_ner(n: int, seed: int = 0) -> list[TaggedSentence]:
    """``n`` synthetic sentences with BIO tags, the same for the same ``seed``.

    Example:
        >>> s = generate_ner(1, seed=3)[0]
        >>> len(s.tokens) == len(s.tags) and s.tags[0][0] in "BO"
        True
    """
    if not isinstance(n, int) or n < 0:
        raise ConfigError(f"n must be a non-negative integer, got {n!r}")
    filler = _Filler(seed)
    sentences = []
    rng = filler.rng
    for _ in range(n):
        ambiguous = rng.choice(("PER", "ORG", "LOC"))
        pool = AMBIGUOUS_TEMPLATES if rng.random() < AMBIGUOUS_SHARE else TEMPLATES
        tokens: list[str] = []
        tags: list[str] = []
        _fill(rng.choice(pool), filler, ambiguous, tokens, tags)
        sentences.append(TaggedSentence(tokens, tags))
    return sentences


def build_ner_split(name: str) -> list[TaggedSentence]:
    """A split as generated (``scripts/build_embedded_data.py``; needs Faker)."""
    return generate_ner(SPLIT_SIZES[name], seed=100 + _SPLIT_SEEDS[name])


def to_conll(sentences: list[TaggedSentence]) -> str:
    """``token<TAB>tag`` lines, a blank line after each sentence."""
    return "".join(
        "".join(f"{t}\t{g}\n" for t, g in zip(s.tokens, s.tags)) + "\n" for s in sentences
    )


@functools.lru_cache(maxsize=4)
def _split(name: str) -> tuple[TaggedSentence, ...]:
    """A split as shipped (ner-NAME.conll.gz)."""
    sentences = []
    for block in read_text_file(f"ner-{name}.conll.gz").split("\n\n"):
        rows = [line.split("\t") for line in block.splitlines() if line]
        if rows:
            sentences.append(TaggedSentence([t for t, _ in rows], [g for _, g in rows]))
    return tuple(sentences)


def load_ner(split: str | None = None) -> list[TaggedSentence]:
    """The fixed splits: ``"train"`` (4000 sentences), ``"valid"`` (500), ``"test"``
    (500); None gives all three, in that order. Fresh copies each call."""
    if split is None:
        return [s for name in SPLIT_SIZES for s in load_ner(name)]
    if split not in SPLIT_SIZES:
        raise ConfigError(f"split must be None, 'train', 'valid' or 'test', got {split!r}")
    return [TaggedSentence(list(s.tokens), list(s.tags)) for s in _split(split)]
