import sys

from doctables.cli import main

sys.exit(main())
