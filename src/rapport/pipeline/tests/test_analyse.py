"""Batch analysis: repeated texts share one analysis, rule filters still apply per post, hashes match one by one."""

from __future__ import annotations

import gc
import hashlib
import re
import unicodedata

import pytest

from rapport.listening.rules import compile_specs
from rapport.pipeline.stages.analyse import Item, analyse, result_of
from rapport.pipeline.stages.dedupe import MIN_WORDS, text_hash, text_hashes

TEXTS = [
    "RT @united: my bag never arrived and nobody answers",
    "rt\n@united my bag never arrived and nobody answers",
    "My BAG never arrived, and nobody answers! https://t.co/x",
    "Mon café était très froid ce matin hélas",
    "Min kuffert er væk og ingen hjælper mig",
    "thank you!",
    "",
    "first line\nsecond line of the post here",
    "ﬁne ﬁne words with ligatures are here",
    "under_score words_are split by the hash key",
]


def _reference_hash(text: str) -> str:
    """The near-duplicate key computed one text at a time, the plain way."""
    folded = (text or "").casefold()
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    noise = re.compile(r"https?://\S+|www\.\S+|^rt\s+@\w+:?|[^\w\s]|_", re.UNICODE)
    words = re.sub(r"\s+", " ", noise.sub(" ", folded)).strip()
    if words.count(" ") + 1 < MIN_WORDS:
        return ""
    return hashlib.blake2b(words.encode(), digest_size=8).hexdigest()


def test_batch_hashes_equal_the_one_text_computation():
    assert text_hashes(TEXTS) == [_reference_hash(t) for t in TEXTS]
    assert [text_hash(t) for t in TEXTS] == [_reference_hash(t) for t in TEXTS]
    assert text_hashes(TEXTS)[0] == text_hashes(TEXTS)[1] == text_hashes(TEXTS)[2] != ""


def _items(pairs: list[tuple[str, str]]) -> list[Item]:
    return [Item(post={"text": text, "network": network}, created_at=None) for text, network in pairs]  # type: ignore[arg-type]


def test_repeated_texts_get_the_results_of_a_single_post():
    rules = compile_specs(((1, "Bags", "bag OR luggage", (), ()), (2, "FB", "bag", (), ("facebook",))))
    text = "@united my #Bag never arrived and nobody answers"
    batch = _items([(text, "twitter"), ("other words entirely here", "twitter"), (text, "facebook"), (text, "twitter")])
    analyse(batch, rules)
    alone = _items([(text, "twitter")])
    analyse(alone, rules)
    assert result_of(batch[0]) == result_of(batch[3]) == result_of(alone[0])
    assert batch[0].rule_ids == [1] and batch[2].rule_ids == [1, 2]  # the network filter is still per post
    assert batch[0].topics == ["#bag", "@united"]
    batch[0].rule_ids.append(99)
    assert batch[3].rule_ids == [1]  # each post owns its lists


@pytest.mark.parametrize("enabled", [True, False])
def test_cycle_collector_state_is_restored(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        analyse(_items([("my bag never arrived", "twitter")]), [])
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
