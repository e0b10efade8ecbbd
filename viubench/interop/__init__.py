"""Interoperability with other evaluation harnesses (lmms-eval)."""
