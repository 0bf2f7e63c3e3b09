"""The language: text -> ``Program`` and back. The AST (``ast``), lark's LALR parser with its
transformer (``parser``), the limits checked while parsing (``bounds``), the parse error messages
(``diagnostics``) and the AST printers, one class per format (``printing``).

May import: ``rules``, ``base``."""
