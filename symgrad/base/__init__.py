"""The ground floor: the error taxonomy (``errors``), ``Limits`` (``limits``), the argument
validators every layer shares (``validate``), atomic file writes (``files``) and the version.

May import: nothing of symgrad's. Every other layer may import it."""
