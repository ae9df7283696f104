"""``python -m fastw2v``: the same command line as the ``fastw2v`` script."""
import sys

from .cli import main

sys.exit(main())
