"""Async DNS lookups (dnspython) with hard deadlines: MX, A/AAAA, PTR."""
