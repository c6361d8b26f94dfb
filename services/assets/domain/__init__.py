"""Assets' rules, plain Python."""
