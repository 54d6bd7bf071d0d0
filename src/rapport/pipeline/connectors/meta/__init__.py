"""Meta connector: Facebook Page feed and Messenger webhooks, Instagram webhooks, Graph API replies."""

from __future__ import annotations

from typing import ClassVar

from .client import MetaClient
from .normalise import normalise_payload, removed_ids
from .webhook import SIGNATURE_HEADER, sign, verify_handshake, verify_signature

__all__ = ["MetaClient", "MetaConnector"]


class MetaConnector:
    """Webhook verification and normalisation for Meta, plus the client that sends replies."""

    network: ClassVar[str] = "facebook"
    capabilities: ClassVar[frozenset[str]] = frozenset({"webhook", "reply"})
    signature_header = SIGNATURE_HEADER
    client_class = MetaClient
    verify_handshake = staticmethod(verify_handshake)
    verify_signature = staticmethod(verify_signature)
    sign = staticmethod(sign)
    normalise = staticmethod(normalise_payload)
    removed_ids = staticmethod(removed_ids)
