"""The ground floor: the error taxonomy (``errors``), ``Limits`` (``limits``), the argument
validators every layer shares (``validate``), atomic file writes (``files``), the registry through
which a higher layer draws a lower class's Jupyter picture (``display_hooks``) and the version.

May import: nothing of symgrad's. Every other layer may import it."""
