"""Reports and leaderboards: runs side by side (HTML, markdown), deltas, charts, CI gates."""
