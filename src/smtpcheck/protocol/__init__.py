"""Sans-IO SMTP: bytes in, events out; events in, bytes out. No sockets, no clocks."""
