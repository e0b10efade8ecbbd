"""Generated datasets: mixes (what to generate), planning, rendering, storage and the build loop."""
