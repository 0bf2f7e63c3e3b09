"""The rule table: one row per primitive, its mathematics and domain (``table``), the ``Rule``
record and its checks (``rule``), the numerically stable pieces rows are made of (``stable``);
one record per row for each other concern (``records``): generated code (``codegen``), display
overrides (``overrides``) and round-off counts with the one model of float64's error
(``rounding``); each row's display derived from its SymPy form (``display``), the SymPy proofs
every row passes (``proofs``) and their exact references in arb balls (``exact``).
docs/adding-a-function.md is the checklist of a new row.

May import: ``base``. Read by every layer above."""
