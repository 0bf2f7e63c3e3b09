"""The engine: ``Value`` (``value``), the one walk from a Program to graph nodes (``lower``),
backprop with located errors (``backprop``), the finite-difference tape (``fd_tape``),
``symgrad.register`` (``register``) and the code generator (``codegen/``).

May import: ``language``, ``rules``, ``base``."""
