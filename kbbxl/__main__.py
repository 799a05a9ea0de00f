"""`python -m kbbxl` runs the command line."""

from kbbxl.cli import main

main()
