"""The service's own data: users, workspaces, clients, connections' owners, audit."""
