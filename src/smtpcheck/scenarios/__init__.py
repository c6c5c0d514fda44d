"""Scenarios orchestrate network steps into a Report: send, check, ..."""
