import sys

from citylogistics.cli import main

sys.exit(main())
