"""The gradient check: exact references in ball arithmetic against float64 gradients.

``check`` (``symgrad.check``), the exact reference (``reference``, over ``dag``, ``row_forms``
and ``balls``), float64's error bound (``error_bound``), verdicts (``judge``), the finite-difference
witness (``fd_witness``), ``CheckReport`` (``report``), ``symgrad.diff`` (``symbolic``), SymPy
printers with symgrad's names (``sympy_printers``), random in-domain points (``points``) and
claimed derivatives (``claims``, ``claim_explain``).

May import: ``engine``, ``language``, ``rules``, ``base``. Never ``nn`` (a sibling)."""
