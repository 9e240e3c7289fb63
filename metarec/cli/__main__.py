"""``python -m metarec.cli``: the command line."""

from metarec.cli import main

raise SystemExit(main())
