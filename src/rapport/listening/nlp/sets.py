"""Public human-labelled sentiment sets that no Rapport model trains on, read for `rapport eval listening`.

The files under eval/sets/ are copies, gzipped and with Windows line ends removed, of:

- the ground truth of Hutto & Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social
  Media Text" (ICWSM 2014), shipped as additional_resources/hutto_ICWSM_2014.tar.gz in the PyPI source
  distribution of vaderSentiment 3.3.2 under the MIT licence (eval/sets/LICENSE-vaderSentiment.txt). Each snippet
  carries the mean of 20 human ratings on -4..+4;
- the "Sentiment Labelled Sentences" of Kotzias, Denil, de Freitas & Smyth, "From Group to Individual Labels using
  Deep Features" (KDD 2015), UCI Machine Learning Repository, CC BY 4.0, as shipped in the test fixtures of the
  npm package `sentiment` 5.0.2 (MIT). Each sentence is labelled positive (1) or negative (0).

A set's *clear cases* are the items whose human label is clearly positive or clearly negative: for the rated sets
a mean rating of at least CLEAR_RATING away from zero (a quarter of the scale: the 20 raters lean one way, not
a mix of "slightly" and "neutral"), for the two-label sets every item.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

SETS_DIR = Path(__file__).resolve().parent / "eval" / "sets"
CLEAR_RATING = 1.0

_HUTTO = (
    "Hutto & Gilbert, ICWSM 2014 ground truth (mean of 20 raters, -4..+4), from the vaderSentiment 3.3.2 sdist "
    "(additional_resources/hutto_ICWSM_2014.tar.gz)"
)
_UCI = (
    "Kotzias et al., KDD 2015, 'Sentiment Labelled Sentences' (UCI ML Repository), from the npm package "
    "sentiment 5.0.2 (test/fixtures)"
)


@dataclass(frozen=True)
class LabelledSet:
    """One public labelled set: where it came from, under which licence, and how its file reads."""

    name: str
    kind: str  # "general tweets", "product reviews", ...
    language: str
    source: str
    licence: str
    filename: str
    rated: bool  # True: "id<TAB>mean rating<TAB>text"; False: "0|1<TAB>text"
    # Used to train Rapport's model (so not reported as held out).
    training: bool = False

    def items(self) -> list[tuple[float, str]]:
        """(rating, text) per item: the mean rating on -4..+4, or -1/+1 for the two-label sets."""
        path = SETS_DIR / self.filename
        out: list[tuple[float, str]] = []
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                parts = line.split("\t")
                try:
                    if self.rated:
                        _, rating, text = parts[0], float(parts[1]), "\t".join(parts[2:])
                    else:
                        rating, text = (1.0 if int(parts[0]) == 1 else -1.0), "\t".join(parts[1:])
                except (IndexError, ValueError) as exc:
                    raise ValueError(f"{path.name} line {number}: not a labelled item ({exc})") from exc
                out.append((rating, text))
        return out

    def clear_cases(self) -> tuple[list[str], list[str]]:
        """Texts and gold labels ("negative"/"positive") of the clearly polar items."""
        texts, gold = [], []
        for rating, text in self.items():
            if abs(rating) >= (CLEAR_RATING if self.rated else 1.0):
                texts.append(text)
                gold.append("positive" if rating > 0 else "negative")
        return texts, gold


SETS: tuple[LabelledSet, ...] = (
    LabelledSet("hutto-tweets", "general tweets", "en", _HUTTO, "MIT", "hutto-tweets.tsv.gz", True),
    LabelledSet("hutto-amazon", "product reviews", "en", _HUTTO, "MIT", "hutto-amazonReviewSnippets.tsv.gz", True),
    LabelledSet("hutto-nyt", "opinion editorials", "en", _HUTTO, "MIT", "hutto-nytEditorialSnippets.tsv.gz", True),
    LabelledSet(
        "hutto-movies", "movie reviews", "en", _HUTTO, "MIT", "hutto-movieReviewSnippets.tsv.gz", True, training=True
    ),
    LabelledSet("uci-amazon", "product reviews", "en", _UCI, "CC BY 4.0", "uci-amazon.tsv.gz", False),
    LabelledSet("uci-yelp", "restaurant reviews", "en", _UCI, "CC BY 4.0", "uci-yelp.tsv.gz", False),
    LabelledSet("uci-imdb", "movie reviews", "en", _UCI, "CC BY 4.0", "uci-imdb.tsv.gz", False),
)


def by_name(name: str) -> LabelledSet:
    """The set called name (KeyError naming the known sets otherwise)."""
    for s in SETS:
        if s.name == name:
            return s
    raise KeyError(f"no labelled set {name!r}; known: {', '.join(s.name for s in SETS)}")
