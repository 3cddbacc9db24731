"""The service: REST API v1, sign-in, tenants, pushed events."""
