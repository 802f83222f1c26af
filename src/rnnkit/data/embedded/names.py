"""The embedded ``names`` dataset: surnames and their country, for many-to-one classification.

Built at load time, deterministically and offline, from the per-locale surname
lists of `Faker <https://pypi.org/project/Faker/>`_ (MIT licence), the data the
PyTorch "classifying names" tutorial keeps as ``names/<Language>.txt`` files.

How it is built
---------------
1. Each country reads one or two Faker locales (:data:`SOURCES`): the
   provider class's ``last_names`` (a tuple, list or frequency-weighted dict:
   only the names are kept). Japanese and Chinese use the providers' own
   romanised lists (``last_romanized_names`` of ``ja_JP``, ``zh_CN`` (pinyin)
   and ``zh_TW`` (Wade-Giles, title-cased)); Korean uses
   :data:`KOREAN_SURNAMES`, a documented table from each Hangul surname of
   ``ko_KR`` to its usual spellings (``이`` -> Lee, Yi, Rhee).
2. Every other name is romanised with ``unidecode`` (``Müller`` -> ``Muller``,
   ``Смирнов`` -> ``Smirnov``, ``Παπαδόπουλος`` -> ``Papadopoulos``) and kept only
   if it is then ``[A-Za-z]`` with inner ``'``, ``-`` or spaces. Scripts that
   unidecode mangles (Arabic and Hebrew lose their vowels, Thai and the
   Indic scripts come out unreadable, Georgian and Armenian keep backticks)
   are not used at all.
3. Duplicates within a country are removed (case-insensitively, first spelling
   kept). A surname listed by two or more countries is resolved in two steps:

   a. Chinese, Japanese and Korean names come from native-script lists, while
      the European lists hold their countries' residents' surnames, immigrants'
      included (Faker's Swedish list has ``Chen``, ``Li`` and ``Zhang``). A name
      that exactly one of these three classes shares with other countries stays
      in that class and leaves the others (``Chen`` is Chinese, ``Lee`` Korean).
   b. Any other shared name (``Jensen``: Danish and Norwegian; ``Han``: Chinese
      and Korean) has no single right label and is dropped from every country
      (:func:`ambiguous_names` lists them).
4. The split is fixed and stratified: within each country the names are ordered
   by the SHA-256 of ``"names:" + name`` and cut 80 / 10 / 10 into ``train``,
   ``valid`` and ``test`` (at least one name in each of valid and test). A
   name's split depends on the name only, never on the Faker version or on the
   other names, so a name never moves between train and test.

The result depends on the installed Faker's lists (the class counts in
``docs/classify.md`` are those of Faker 40.x).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re

from rnnkit.data.embedded.files import read_text_file
from rnnkit.errors import ConfigError

__all__ = [
    "SOURCES",
    "KOREAN_SURNAMES",
    "SPLITS",
    "load_names",
    "class_counts",
    "ambiguous_names",
]

#: country -> the Faker locales whose surnames it reads (``ja_JP``/``zh_*``: romanised lists)
SOURCES: dict[str, tuple[str, ...]] = {
    "Chinese": ("zh_CN", "zh_TW"),
    "Czech": ("cs_CZ",),
    "Danish": ("da_DK",),
    "Dutch": ("nl_NL",),
    "English": ("en_GB",),
    "Finnish": ("fi_FI",),
    "French": ("fr_FR",),
    "German": ("de_DE",),
    "Greek": ("el_GR",),
    "Hungarian": ("hu_HU",),
    "Italian": ("it_IT",),
    "Japanese": ("ja_JP",),
    "Korean": ("ko_KR",),
    "Norwegian": ("no_NO",),
    "Portuguese": ("pt_PT",),
    "Russian": ("ru_RU",),
    "Spanish": ("es_ES",),
    "Swedish": ("sv_SE",),
    "Turkish": ("tr_TR",),
}

_ROMANISED = {"ja_JP", "zh_CN", "zh_TW"}  # providers with a last_romanized_names list
_NATIVE_SCRIPT = {"Chinese", "Japanese", "Korean"}  # see step 3a of the module docstring

#: Hangul surname -> its usual romanisations (the common passport spellings first,
#: then the Revised Romanization where it differs). Covers every surname of Faker's ko_KR.
KOREAN_SURNAMES: dict[str, tuple[str, ...]] = {
    "김": ("Kim", "Gim"),
    "이": ("Lee", "Yi", "Rhee"),
    "박": ("Park", "Pak", "Bak"),
    "정": ("Jung", "Chung", "Jeong"),
    "최": ("Choi", "Choe"),
    "조": ("Cho", "Jo"),
    "강": ("Kang", "Gang"),
    "윤": ("Yoon", "Yun"),
    "장": ("Jang", "Chang"),
    "임": ("Lim", "Im"),
    "한": ("Han",),
    "오": ("Oh",),
    "서": ("Seo", "Suh"),
    "신": ("Shin", "Sin"),
    "권": ("Kwon", "Gwon"),
    "황": ("Hwang",),
    "안": ("Ahn", "An"),
    "송": ("Song",),
    "류": ("Ryu", "Yoo", "Ryoo"),
    "전": ("Jeon", "Chun", "Jun"),
    "홍": ("Hong",),
    "고": ("Go", "Ko"),
    "문": ("Moon", "Mun"),
    "양": ("Yang",),
    "손": ("Son", "Sohn"),
    "배": ("Bae", "Pae"),
    "백": ("Baek", "Paik", "Baik"),
    "허": ("Heo", "Huh", "Hur"),
    "유": ("Yu", "You"),
    "남": ("Nam",),
    "심": ("Sim", "Shim"),
    "노": ("Noh", "Roh"),
    "하": ("Ha",),
    "곽": ("Kwak", "Gwak"),
    "성": ("Sung", "Seong"),
    "차": ("Cha",),
    "주": ("Joo", "Ju"),
    "우": ("Woo", "U"),
    "구": ("Koo", "Gu"),
    "나": ("Na", "Ra"),
    "민": ("Min",),
    "진": ("Jin",),
    "지": ("Ji",),
    "엄": ("Eom", "Um"),
    # frequent surnames that Faker's ko_KR list lacks
    "채": ("Chae",),
    "원": ("Won",),
    "천": ("Cheon",),
    "방": ("Bang",),
    "공": ("Gong",),
    "현": ("Hyun",),
    "함": ("Ham",),
    "변": ("Byun",),
    "염": ("Yeom",),
    "여": ("Yeo",),
    "추": ("Choo",),
    "도": ("Do",),
    "소": ("So",),
    "석": ("Seok",),
    "선": ("Sun",),
    "설": ("Seol",),
    "마": ("Ma",),
    "길": ("Gil",),
    "연": ("Yeon",),
    "위": ("Wi",),
    "표": ("Pyo",),
    "명": ("Myung",),
    "기": ("Ki",),
    "반": ("Ban",),
    "왕": ("Wang",),
    "금": ("Geum",),
    "옥": ("Ok",),
    "육": ("Yuk",),
    "인": ("In",),
    "맹": ("Maeng",),
    "제": ("Je",),
    "모": ("Mo",),
    "탁": ("Tak",),
    "국": ("Kook",),
    "어": ("Eo",),
    "은": ("Eun",),
    "편": ("Pyeon",),
    "용": ("Yong",),
    "예": ("Ye",),
    "경": ("Kyung",),
    "봉": ("Bong",),
    "사": ("Sa",),
    "부": ("Boo",),
    "황보": ("Hwangbo",),
    "남궁": ("Namgung",),
    "제갈": ("Jegal",),
    "선우": ("Sunwoo",),
    "독고": ("Dokgo",),
}

SPLITS = ("train", "valid", "test")
_FRACTIONS = (0.8, 0.1, 0.1)
_KEEP = re.compile(r"[A-Za-z](?:[A-Za-z' -]*[A-Za-z])?")


def _faker_names(locale: str, attribute: str) -> list[str]:
    try:
        module = importlib.import_module(f"faker.providers.person.{locale}")
    except ImportError:
        raise ConfigError(
            "the embedded 'names' data need the 'faker' and 'unidecode' packages: "
            "pip install faker unidecode"
        ) from None
    return [str(name) for name in getattr(module.Provider, attribute)]  # dict: its keys


def _romanise(name: str) -> str | None:
    from unidecode import unidecode

    name = " ".join(unidecode(name).split())
    return name if _KEEP.fullmatch(name) else None


def _country_names(country: str) -> list[str]:
    """One country's surnames, romanised and deduplicated, in Faker's order."""
    raw: list[str] = []
    for locale in SOURCES[country]:
        if locale == "ko_KR":
            for hangul in _faker_names(locale, "last_names") + list(KOREAN_SURNAMES):
                raw.extend(KOREAN_SURNAMES.get(hangul, ()))
        elif locale in _ROMANISED:
            raw.extend(n.title() for n in _faker_names(locale, "last_romanized_names"))
        else:
            raw.extend(filter(None, map(_romanise, _faker_names(locale, "last_names"))))
    seen: set[str] = set()
    out = []
    for name in raw:
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


@functools.lru_cache(maxsize=1)
def _build() -> tuple[dict[str, tuple[tuple[str, str], ...]], tuple[str, ...]]:
    """The splits and the dropped names, as shipped (names.tsv.gz)."""
    splits: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLITS}
    for line in read_text_file("names.tsv.gz").splitlines():
        split, name, country = line.split("\t")
        splits[split].append((name, country))
    ambiguous = tuple(read_text_file("names-ambiguous.txt.gz").splitlines())
    return {s: tuple(rows) for s, rows in splits.items()}, ambiguous


def build_names() -> tuple[dict[str, tuple[tuple[str, str], ...]], tuple[str, ...]]:
    """The splits and the dropped names from Faker's lists, romanised with Unidecode
    (``scripts/build_embedded_data.py``; both are development dependencies)."""
    per_country = {country: _country_names(country) for country in SOURCES}
    owners: dict[str, set[str]] = {}
    for country, names in per_country.items():
        for name in names:
            owners.setdefault(name.lower(), set()).add(country)
    owner: dict[str, str | None] = {}  # lower-cased name -> its class, None: dropped
    for key, countries in owners.items():
        native = countries & _NATIVE_SCRIPT
        if len(countries) == 1:
            owner[key] = next(iter(countries))
        else:
            owner[key] = next(iter(native)) if len(native) == 1 else None
    ambiguous = {key for key, country in owner.items() if country is None}
    splits: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLITS}
    for country, names in per_country.items():
        kept = sorted(
            (n for n in names if owner[n.lower()] == country),
            key=lambda n: hashlib.sha256(f"names:{n}".encode()).hexdigest(),
        )
        n = len(kept)
        n_valid = max(1, round(n * _FRACTIONS[1]))
        n_test = max(1, round(n * _FRACTIONS[2]))
        n_train = n - n_valid - n_test
        cuts = {
            "train": kept[:n_train],
            "valid": kept[n_train : n_train + n_valid],
            "test": kept[n_train + n_valid :],
        }
        for split, part in cuts.items():
            splits[split].extend((name, country) for name in sorted(part))
    frozen = {s: tuple(sorted(rows, key=lambda r: (r[1], r[0]))) for s, rows in splits.items()}
    return frozen, tuple(sorted(ambiguous))


def load_names(split: str | None = None) -> list[tuple[str, str]]:
    """``[(surname, country), ...]``, sorted by country then name.

    Args:
        split: None for all names, or ``"train"``, ``"valid"`` or ``"test"``.

    Example:
        >>> ("Nakamura", "Japanese") in load_names("train") + load_names("valid") + load_names("test")
        True
    """
    splits, _ = _build()
    if split is None:
        return sorted((r for s in SPLITS for r in splits[s]), key=lambda r: (r[1], r[0]))
    if split not in SPLITS:
        raise ConfigError(f"split must be None, 'train', 'valid' or 'test', got {split!r}")
    return list(splits[split])


def class_counts(split: str | None = None) -> dict[str, int]:
    """Names per country (in ``split``, or all)."""
    counts = dict.fromkeys(SOURCES, 0)
    for _, country in load_names(split):
        counts[country] += 1
    return counts


def ambiguous_names() -> list[str]:
    """The lower-cased surnames dropped because several countries list them."""
    return list(_build()[1])
