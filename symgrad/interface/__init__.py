"""The ways in: the command line (``cli/``) and the browser explorer (``serve/``).

May import: every layer below. Nothing below imports it."""
