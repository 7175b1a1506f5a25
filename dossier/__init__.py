"""Dossier's application core: answers, summaries, briefings, settings and the CLI (no Qt)."""

__version__ = "0.1.0"
