"""smtpcheck: test, explain and help fix SMTP mail flow."""

__version__ = "0.1.0"
