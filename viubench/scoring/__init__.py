"""Evaluation scoring: lenient answer extraction (``extract``) and per-item metrics (``metrics``)."""
