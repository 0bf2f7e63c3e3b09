"""What people see and teachers hand out: graphs (``draw``), worksheets (``worksheet`` builds
the format-free ``worksheet_model``; ``renderers`` and ``sheets`` write md/html/tex/ipynb from
``templates/``), the closed-form table (``closed_form``), the slope plot, exercise sheets and keys
(``exercises``, ``answer_key``), marking (``grading``), nbgrader notebooks (``nbgrader``) and
Jupyter display (``jupyter``). It reads check reports; it never computes a gradient itself.

May import: ``gradcheck``, ``engine``, ``language``, ``rules``, ``base``. Not ``nn``."""
