"""``python -m metarec``: the command line."""

import sys

from metarec.cli import main

sys.exit(main())
