"""LLM judges: judged metrics of tasks (VCR-Bench), run through the eval backends and journaled per call."""
