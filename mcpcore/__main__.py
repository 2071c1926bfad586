import sys

from mcpcore.cli import main

sys.exit(main())
