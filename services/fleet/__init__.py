"""The fleet service: its protos and implementation arrive with their issue."""
