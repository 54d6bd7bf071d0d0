"""Email: inbound messages (raw RFC 5322, e.g. from a provider's inbound route) and replies over SMTP."""

from .client import SmtpClient
from .imap import validate_config
from .normalise import message_to_post

__all__ = ["SmtpClient", "message_to_post", "validate_config"]
