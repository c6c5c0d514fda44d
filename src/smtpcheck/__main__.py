"""Allow `python -m smtpcheck`."""

from smtpcheck.cli.main import main

main()
