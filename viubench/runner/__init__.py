"""Evaluation runs: media loading, the run directory and journal, the pipeline, results."""
