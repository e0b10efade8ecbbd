"""Model backends: each turns a batch of requests (messages + decoded media) into text or errors."""
