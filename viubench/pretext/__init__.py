"""The three pretext tasks of VideoSSR (SPEC 3): anomaly grounding, object counting, temporal jigsaw."""
