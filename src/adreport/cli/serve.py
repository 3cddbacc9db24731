"""`adreport serve`: the service on uvicorn."""
