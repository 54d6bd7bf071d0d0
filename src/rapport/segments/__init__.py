"""Segments: saved, live selections of people over attributes, behaviour, social signals and value."""
