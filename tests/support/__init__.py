"""Helpers that serve only paasport's own tests (not shipped in the wheel)."""
