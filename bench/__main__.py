"""``python -m bench``: the benchmark suite (:mod:`bench.run`)."""

import sys

from bench.run import main

sys.exit(main())
