"""``viubench train``: GRPO on a generated mix with the smooth rewards (trl or verl engine)."""
