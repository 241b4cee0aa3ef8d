"""``python -m whichtag``."""

from whichtag.cli import main

raise SystemExit(main())
