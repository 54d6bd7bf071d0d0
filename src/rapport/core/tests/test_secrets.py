"""Credentials stay out of logs, private files are 0600, and guessable secret keys are refused."""

import logging
import os
import subprocess
import sys

import pytest

from rapport.core.redact import RedactCredentials, redact_text, redact_url
from rapport.settings.keys import weak_key_reason


def test_urls_lose_their_credentials():
    assert redact_url("https://bob:s3cret@feeds.example/rss?x=1") == "https://***@feeds.example/rss?x=1"
    assert redact_url("https://token@feeds.example/") == "https://***@feeds.example/"
    assert redact_url("https://feeds.example/a@b") == "https://feeds.example/a@b"
    text = "rss: GET https://bob:s3cret@feeds.example/rss returned 500; see smtp://u:p@mail.example:587"
    assert "s3cret" not in redact_text(text) and ":p@" not in redact_text(text)
    assert "https://***@feeds.example/rss" in redact_text(text)


@pytest.mark.django_db
def test_polling_failure_logs_the_feed_without_its_password(workspace, caplog):
    import httpx

    from rapport.channels.models import Channel
    from rapport.channels.polling import poll_all
    from rapport.channels.services import upsert_channel
    from rapport.core.actors import Actor

    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system("t"),
        network="rss",
        handle="blog",
        name="Blog",
        config={"feeds": ["https://feeds.example/rss"]},
    )
    # A row saved before feed URLs were refused credentials: polling refuses it and says so without the secret.
    Channel.objects.filter(pk=channel.pk).update(config={"feeds": ["https://bob:s3cret@feeds.example/rss"]})
    channel.refresh_from_db()
    transport = httpx.MockTransport(lambda request: httpx.Response(404, text="gone"))
    with caplog.at_level(logging.WARNING):
        result = poll_all(workspace_id=workspace.pk, transport=transport)
    channel.refresh_from_db()
    assert result["failed"] == 1 and channel.last_error
    assert caplog.text and "s3cret" not in caplog.text and "bob:" not in caplog.text
    assert "s3cret" not in channel.last_error


def test_the_log_filter_redacts_messages_and_tracebacks():
    try:
        raise ValueError("could not reach https://bob:s3cret@feeds.example/rss")
    except ValueError:
        args = ("imap://u:pw@mail.example",)
        record = logging.LogRecord("x", logging.WARNING, __file__, 1, "fetching %s", args, None)
        record.exc_info = sys.exc_info()
    assert RedactCredentials().filter(record)
    assert record.getMessage() == "fetching imap://***@mail.example"
    assert "s3cret" not in record.exc_text and "https://***@feeds.example/rss" in record.exc_text


@pytest.mark.parametrize(
    "key",
    [
        "a" * 50,
        "012345678901234567890123456789ab",
        "abcabcabcabcabcabcabcabcabcabcabcabc",
        "passwordpasswordpassword12345678",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "0123456789abcdef0123456789abcdef",
        "django-insecure-1234567890abcdefghijklmnop",
    ],
)
def test_low_entropy_keys_are_weak(key):
    assert weak_key_reason(key)


def test_random_keys_pass():
    import secrets

    for _ in range(2000):
        assert weak_key_reason(secrets.token_hex(16)) is None
        assert weak_key_reason(secrets.token_urlsafe(50)) is None


CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DATABASE_URL", "PYTEST"))}


def _settings(env: dict) -> subprocess.CompletedProcess:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='rapport.settings'; django.setup(); print('ok')"
    return subprocess.run([sys.executable, "-c", code], env={**CLEAN, **env}, capture_output=True, text=True)


def test_a_repetitive_configured_key_stops_the_server(tmp_path):
    p = _settings({"RAPPORT_HOME": str(tmp_path), "RAPPORT_SECRET_KEY": "012345678901234567890123456789ab"})
    assert p.returncode != 0 and "too weak" in p.stderr


def test_database_and_key_file_are_private(tmp_path):
    for name in ("rapport.sqlite3", "rapport.sqlite3-wal"):  # an install from before: tightened on start
        (tmp_path / name).write_bytes(b"")
        os.chmod(tmp_path / name, 0o644)
    assert _settings({"RAPPORT_HOME": str(tmp_path)}).stdout.strip() == "ok"
    fresh = tmp_path / "new"
    assert _settings({"RAPPORT_HOME": str(fresh)}).stdout.strip() == "ok"
    subprocess.run(
        [sys.executable, "-m", "rapport.cli", "migrate", "-v", "0"],
        env={**CLEAN, "RAPPORT_HOME": str(fresh)},
        check=True,
    )
    old, wal = tmp_path / "rapport.sqlite3", tmp_path / "rapport.sqlite3-wal"
    for path in (old, wal, fresh / "rapport.sqlite3", fresh / "secret.key"):
        assert (path.stat().st_mode & 0o777) == 0o600, path
    assert (fresh / "rapport.sqlite3").stat().st_size > 0
