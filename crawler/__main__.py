"""`python -m crawler ...` runs the `nianbao` command line (the same as the `nianbao` script)."""

from crawler.cli import main

main()
