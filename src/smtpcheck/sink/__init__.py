"""The capture server: protocol server role + net + durable storage."""
