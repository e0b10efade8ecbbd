"""Tasks: what a benchmark asks (samples, prompts, VideoSpec) and how its answers are scored."""
