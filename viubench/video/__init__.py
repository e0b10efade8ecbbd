"""Video access: finding files, probing, frame sampling (docs/benchmark.md §2) and decoding."""
