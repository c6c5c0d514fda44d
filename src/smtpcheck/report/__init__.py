"""Report models (Step, Finding, Report) and their renderers."""
