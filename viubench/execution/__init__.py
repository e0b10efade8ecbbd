"""Where work runs: worker processes on this machine, locks, and the Ray cluster and its pool."""
