"""The rule table: one row per primitive (``table``), the ``Rule`` record and its checks (``rule``),
the numerically stable pieces rows are made of (``stable``), each row's display derived from its
SymPy form (``display``) and the SymPy proofs every row passes (``proofs``).

May import: ``base``. Read by every layer above."""
