"""`python -m embedkit_server`: the same as the `reference-server` command."""

from ._cli import main

raise SystemExit(main())
