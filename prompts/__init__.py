"""Prompt templates as text files, rendered with validated placeholders."""
