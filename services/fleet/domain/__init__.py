"""The fleet's rules: phone lines, their search, and the operators' line file."""
