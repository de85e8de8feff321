"""``python -m rbtui``: the same as the ``rbtui`` command."""

import sys

from rbtui.cli import main

sys.exit(main())
