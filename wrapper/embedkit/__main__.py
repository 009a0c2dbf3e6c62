"""`python -m embedkit`: the same as the `embedkit` command."""

from ._cli import main

raise SystemExit(main())
