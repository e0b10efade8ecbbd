"""Video access: finding files, probing, frame sampling (SPEC 2) and decoding."""
