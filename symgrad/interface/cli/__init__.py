"""The ``symgrad`` command line: ``main`` (the command table), one module per group of
commands (``check``: check and diff; ``render``: graph and worksheet; ``grade``; ``train``), and
what they share (``io``). Errors print one line to stderr and exit 2.

May import: ``teaching``, ``gradcheck``, ``nn``, ``engine``, ``language``, ``rules``, ``base``."""
