"""The three pretext tasks of VideoSSR (docs/benchmark.md §3): anomaly grounding, object counting, temporal jigsaw."""
