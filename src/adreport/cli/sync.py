"""Commands that pull from the platforms: sandbox, connect, sync, sources."""
