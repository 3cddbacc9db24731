"""Commands of the service: serve, workspaces, clients, users."""
