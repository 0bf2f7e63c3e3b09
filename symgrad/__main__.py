import sys

from .interface.cli.main import main

sys.exit(main())
