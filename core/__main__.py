"""``python -m motionlex.core`` is the ``motionlex`` command."""

import sys

from .cli import main

sys.exit(main())
