"""Allow `python -m batch` as an alias of the `graph-batch` console script."""

import sys

from batch.cli import main

sys.exit(main())
