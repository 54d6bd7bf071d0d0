"""DKIM: campaign and journey mail is signed with the workspace's key (stored encrypted) or the environment's, and
the bytes a real SMTP server on loopback received verify with dkimpy against the public key; a changed byte fails."""

from __future__ import annotations

import dkim
import pytest
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import mail, services
from rapport.campaigns.models import Campaign, CampaignSend, MailSettings
from rapport.campaigns.tests.journey_helpers import install_clock, journey, tick
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.core.errors import FieldErrors
from rapport.core.events import emit

pytestmark = pytest.mark.django_db(transaction=True)


def dns_for(record_name: str, record_value: str):
    """A DNS-free lookup for dkimpy's verify: the one TXT record the settings page tells the admin to publish."""

    def dnsfunc(name, timeout=5):
        assert name.decode().rstrip(".") == record_name
        return record_value.encode()

    return dnsfunc


def configure(ws, **extra):
    return mail.save_settings(
        workspace_id=ws.pk,
        data={"dkim_domain": "mail.example.com", "dkim_selector": "rc1", "generate_key": True, **extra},
    )


def test_campaign_mail_is_signed_and_verifies_against_the_published_key(workspace, settings, fake_smtp):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    settings.DEFAULT_FROM_EMAIL = "news@mail.example.com"
    row = configure(workspace)
    assert "BEGIN" not in row.dkim_key_encrypted and row.dkim_key_encrypted  # encrypted at rest
    name, value = mail.dns_record(workspace.pk)
    assert name == "rc1._domainkey.mail.example.com" and value.startswith("v=DKIM1; k=rsa; p=")
    person(workspace, "Ann")
    person(workspace, "Bob")
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk]))
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    assert len(fake_smtp.raw) == 2
    for raw in fake_smtp.raw:
        assert raw.startswith(b"DKIM-Signature:")
        sig = raw.split(b"\r\n\r\n")[0].decode()
        assert "d=mail.example.com" in sig and "s=rc1" in sig and "list-unsubscribe" in sig.lower()
        assert dkim.verify(raw, dnsfunc=dns_for(name, value))
        tampered = raw.replace(b"spring is here", b"spring is gone")
        assert tampered != raw and not dkim.verify(tampered, dnsfunc=dns_for(name, value))
    # The Message-ID names the send, so a bounce quoting it is counted against it.
    msg = fake_smtp.messages[0]
    kind, row_id = mail.parse_message_id(msg["Message-ID"])
    assert kind == "c" and CampaignSend.objects.get(pk=row_id).person.email == msg["To"]
    # Another key verifies nothing.
    other = mail.generate_key()
    other_value = "v=DKIM1; k=rsa; p=" + mail.public_key_b64(other.encode())
    assert not dkim.verify(fake_smtp.raw[0], dnsfunc=dns_for(name, other_value))


def test_without_a_key_mail_goes_unsigned_and_the_environment_key_signs(
    workspace,
    settings,
    fake_smtp,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    smtp_settings(settings, fake_smtp)
    person(workspace, "Ann")
    seg = segment(workspace)
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[seg.pk]))
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    assert not fake_smtp.raw[0].startswith(b"DKIM-Signature:")
    # A key from the environment (a file), the domain and selector from the admin's settings.
    key = mail.generate_key()
    path = tmp_path / "dkim.pem"
    path.write_text(key)
    monkeypatch.setenv("RAPPORT_DKIM_PRIVATE_KEY_FILE", str(path))
    mail.save_settings(workspace_id=workspace.pk, data={"dkim_domain": "example.org", "dkim_selector": "env"})
    assert not MailSettings.objects.get(workspace=workspace).dkim_key_encrypted
    c2 = services.create_campaign(workspace=workspace, actor=ACTOR, data=body(segment_ids=[seg.pk], name="Second"))
    services.queue_send(actor=ACTOR, campaign=c2)
    run_jobs()
    raw = fake_smtp.raw[1]
    public = "v=DKIM1; k=rsa; p=" + mail.public_key_b64(key.encode())
    assert dkim.verify(raw, dnsfunc=dns_for("env._domainkey.example.org", public))


def test_journey_mail_is_signed(workspace, settings, fake_smtp, monkeypatch):  # noqa: F811
    smtp_settings(settings, fake_smtp)
    clock = install_clock(monkeypatch)
    configure(workspace)
    name, value = mail.dns_record(workspace.pk)
    ann = person(workspace, "Ann")
    from rapport.consent import services as consent

    consent.record(ann, "offers", granted=True, channel="email", source="form")
    journey(
        workspace,
        trigger="life_event",
        trigger_config={"value": "moving_house"},
        steps=[{"type": "email", "subject": "Moving, {{ first_name }}?", "body": "We can help at the new address."}],
    )
    emit(
        "consent.life_event_detected",
        {"workspace_id": workspace.pk, "person_id": ann.pk, "value": "moving_house", "event_date": None},
    )
    tick(clock)
    (raw,) = fake_smtp.raw
    assert dkim.verify(raw, dnsfunc=dns_for(name, value))
    assert mail.parse_message_id(fake_smtp.messages[0]["Message-ID"])[0] == "j"


def test_bad_settings_name_the_field(workspace):
    with pytest.raises(FieldErrors) as exc:
        mail.save_settings(
            workspace_id=workspace.pk,
            data={"dkim_domain": "not a domain", "dkim_selector": "ok", "dkim_private_key": "-----BEGIN nonsense"},
        )
    assert set(exc.value.errors) == {"dkim_domain", "dkim_private_key"}
    with pytest.raises(FieldErrors) as exc:
        mail.save_settings(workspace_id=workspace.pk, data={"dkim_domain": "example.com"})
    assert "dkim_selector" in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        mail.save_settings(workspace_id=workspace.pk, data={"soft_bounce_limit": "many"})
    assert "soft_bounce_limit" in exc.value.errors
    # An Ed25519 key is refused with the reason (receivers check rsa-sha256).
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    pem = (
        ed25519.Ed25519PrivateKey.generate()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    with pytest.raises(FieldErrors) as exc:
        mail.save_settings(
            workspace_id=workspace.pk, data={"dkim_domain": "e.com", "dkim_selector": "s", "dkim_private_key": pem}
        )
    assert "RSA" in exc.value.errors["dkim_private_key"]
    assert not Campaign.objects.exists()


def test_the_openssl_rsa_step_gives_dkimpys_own_signature():
    """The swapped RSA step signs byte for byte as dkimpy's pure-Python one (PKCS#1 v1.5 is deterministic)."""
    import hashlib

    from dkim.crypto import parse_pem_private_key

    key = parse_pem_private_key(mail.generate_key().encode())

    class Digest:
        name = "sha256"

        def digest(self):
            return hashlib.sha256(b"the signed headers").digest()

    assert mail._openssl_sign(Digest(), key) == mail._PURE_PYTHON_SIGN(Digest(), key)
    assert dkim.RSASSA_PKCS1_v1_5_sign is mail._openssl_sign
