"""Command-line interface: parse input, call a scenario, render a report."""
