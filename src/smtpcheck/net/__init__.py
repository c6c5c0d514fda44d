"""Thin asyncio I/O: drives protocol/ over sockets, TLS, deadlines and transcripts."""
