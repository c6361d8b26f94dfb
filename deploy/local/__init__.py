"""Local launcher: what make run starts."""
