"""``python -m ferrosftp ...``: the command-line tool (see ferrosftp.cli)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
