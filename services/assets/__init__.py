"""The assets service: its protos and implementation arrive with their issue."""
