"""Language identification: accuracy on the hand-written posts and edge cases."""

from __future__ import annotations

from rapport.listening.nlp import data
from rapport.listening.nlp.langid import SUPPORTED_LANGUAGES, detect_languages
from rapport.listening.nlp.textclean import clean_for_langid


def test_accuracy_on_labelled_posts_at_least_98_percent():
    rows = data.eval_posts("posts_")
    assert {lang for lang, _, _ in rows} == set(SUPPORTED_LANGUAGES)
    assert min(sum(1 for lang, _, _ in rows if lang == code) for code in SUPPORTED_LANGUAGES) >= 40
    pred = detect_languages([text for _, _, text in rows])
    correct = sum(got == lang for (lang, _, _), (got, _) in zip(rows, pred))
    assert correct / len(rows) >= 0.98


def test_each_language_mostly_right():
    rows = data.eval_posts("posts_")
    pred = detect_languages([text for _, _, text in rows])
    for code in SUPPORTED_LANGUAGES:
        hits = [got == lang for (lang, _, _), (got, _) in zip(rows, pred) if lang == code]
        assert sum(hits) / len(hits) >= 0.9, code


def test_no_signal_returns_none():
    texts = ["", "   ", "😀😀🎉", "https://t.co/abc123", "@someone #tag 12:30", "!!! ???"]
    assert detect_languages(texts) == [(None, 0.0)] * len(texts)


def test_noise_is_stripped_before_detection():
    assert clean_for_langid("@SAS hej #fail https://x.dk/a 😡 123") == "hej"
    text = "@NorskeTog toget er forsinket igjen og ingen sier noe #skuffet https://t.co/x 😡"
    assert detect_languages([text])[0][0] == "no"


def test_very_long_text_and_confidence_range():
    long_text = "Das Essen war wirklich sehr gut und der Service war freundlich. " * 500
    lang, conf = detect_languages([long_text])[0]
    assert lang == "de" and 0.5 < conf <= 1.0


def test_batch_matches_single_and_is_deterministic():
    texts = ["Tusind tak for hjælpen", "Merci pour votre aide", "Thanks for the help!", "", "Gracias por todo"]
    batch = detect_languages(texts)
    assert batch == [detect_languages([t])[0] for t in texts]
    assert batch == detect_languages(list(texts))
    assert [lang for lang, _ in batch] == ["da", "fr", "en", None, "es"]


def test_short_or_ambiguous_texts_are_undetermined_not_a_wrong_language():
    texts = ["@united rude rude", "@united thanks", "ok", "Tusind tak for hjælpen", "Thanks so much for the help!"]
    assert [lang for lang, _ in detect_languages(texts)] == ["und", "und", None, "da", "en"]
    lang, conf = detect_languages(["@united rude rude"])[0]
    assert lang == "und" and 0 < conf < 0.9  # the confidence is kept: a reader can see how unsure it was


def test_short_posts_are_rarely_given_a_wrong_language():
    from rapport.listening.nlp.evaluate import short_post_accuracy

    report = short_post_accuracy(data.eval_posts("posts_"))
    assert set(report) == {"2_words", "3_words", "5_words"}
    assert report["2_words"]["wrong"] <= 0.05 and report["3_words"]["wrong"] <= 0.1
    assert report["5_words"]["right"] >= 0.9
    assert set(report["3_words"]["per_language"]) == set(SUPPORTED_LANGUAGES)
