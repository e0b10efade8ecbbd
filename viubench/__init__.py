"""viubench: self-supervised video understanding benchmarks (VIUBench, VideoSSR)."""

__version__ = "0.1.0"
