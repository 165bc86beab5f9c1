"""``python -m motionlex.core`` is the ``motionlex`` command."""

import sys

from motionlex.core.cli import main

sys.exit(main())
