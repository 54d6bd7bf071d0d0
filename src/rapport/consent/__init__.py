"""Consent and privacy: the ledger of permissions and objections, and the one answer to "may we?"."""
