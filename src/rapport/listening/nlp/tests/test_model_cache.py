"""The sentiment model is built ahead, cached with a version record, and a command that lacks it says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import joblib
import pytest

from rapport.listening.nlp import data, modelcache, sentiment


def test_build_writes_a_record_and_status_reads_it(trained_model):
    status = modelcache.model_status()
    assert status["state"] == "ready", status
    meta = status["meta"]
    assert meta["format_version"] == sentiment.FORMAT_VERSION
    assert meta["sklearn_version"] == modelcache._installed_sklearn_version() != ""
    assert meta["data_fingerprint"] == modelcache.data_fingerprint()


def test_status_without_a_model_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    assert modelcache.model_status()["state"] == "missing"


def _copy_home(trained_model, tmp_path: Path) -> Path:
    src = Path(trained_model["path"]).parent
    dst = tmp_path / "models"
    shutil.copytree(src, dst)
    return dst


def test_another_scikit_learn_version_is_stale_and_not_loaded(trained_model, monkeypatch, tmp_path):
    models = _copy_home(trained_model, tmp_path)
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    record = models / modelcache.META_FILENAME
    record.write_text(json.dumps({**json.loads(record.read_text()), "sklearn_version": "0.1"}))
    status = modelcache.model_status()
    assert status["state"] == "stale" and "0.1" in status["reason"]
    bundle = joblib.load(models / sentiment.MODEL_FILENAME)
    assert sentiment._usable(bundle)
    assert not sentiment._usable({**bundle, "sklearn_version": "0.1"})
    assert not sentiment._usable({**bundle, "format_version": sentiment.FORMAT_VERSION + 1})


def test_changed_training_data_is_reported_outdated(trained_model, monkeypatch, tmp_path):
    _copy_home(trained_model, tmp_path)
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    other = tmp_path / "data"
    other.mkdir()
    (other / "Tweets.csv").write_bytes(data.tweets_path().read_bytes() + b"\n")
    monkeypatch.setenv("RAPPORT_DATA_DIR", str(other))
    assert modelcache.model_status()["state"] == "outdated"


def test_a_command_without_a_model_says_so_and_builds_it_once(trained_model, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    built = []

    def fake_build(out_dir: Path, progress=None) -> dict:  # the real training is tested by the session fixture
        for step in sentiment.BUILD_STEPS:
            progress(step)
        built.append(out_dir)
        shutil.copytree(Path(trained_model["path"]).parent, out_dir, dirs_exist_ok=True)
        return {"path": str(out_dir / sentiment.MODEL_FILENAME)}

    monkeypatch.setattr(sentiment, "build_models", fake_build)
    sentiment.reset_cache()
    try:
        assert sentiment.score_sentiment(["thanks, great crew"])[0][0] == "positive"
        assert sentiment.score_sentiment(["lost my bag again"])[0][0] == "negative"
    finally:
        sentiment.reset_cache()
    assert built == [tmp_path / "models"]
    err = capsys.readouterr().err
    assert "no sentiment model" in err and "rapport models build" in err


@pytest.mark.django_db
def test_models_build_command_is_a_no_op_when_current(trained_model, capsys):
    from django.core.management import call_command

    call_command("models", "build")
    out = json.loads(capsys.readouterr().out)
    assert out == {"built": False, "state": "ready", "path": trained_model["path"]}


@pytest.mark.django_db
def test_models_build_without_data(monkeypatch, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.setenv("RAPPORT_DATA_DIR", str(tmp_path / "none"))
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    with pytest.raises(CommandError, match="no training data"):
        call_command("models", "build")
    call_command("models", "build", "--if-data")
    assert json.loads(capsys.readouterr().out)["built"] is False
