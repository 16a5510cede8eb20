"""`python -m rtstt` runs the same entry point as the `rtstt` command."""

import sys

from rtstt.cli import main

if __name__ == "__main__":
    sys.exit(main())
