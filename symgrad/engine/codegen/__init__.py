"""Code generation for ``symgrad.compile``: the graph planned without values (``plan``), its
straight-line source (``emit``), the source built and run in its namespace (``build``), the rows'
templates proved against the rows (``template_proofs``), and the public ``compile`` (``compiled``).

May import: the rest of ``engine``, ``language``, ``rules``, ``base``."""
