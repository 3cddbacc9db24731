"""`adreport sandbox`: the platforms' local sandboxes on loopback."""
