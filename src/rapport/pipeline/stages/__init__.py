"""Batch stages of the listening pipeline: each takes the whole batch and works on it in one pass."""

from rapport.pipeline.stages.analyse import Item, analyse
from rapport.pipeline.stages.authors import link_authors

__all__ = ["Item", "analyse", "link_authors"]
