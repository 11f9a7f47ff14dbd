"""``python -m dynaform.ui``: what ``dynaform ui`` runs."""

import sys

from dynaform.ui.server import main

sys.exit(main())
