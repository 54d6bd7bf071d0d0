"""Influence: the interaction graph and an explainable, consent-aware score per author and person."""
