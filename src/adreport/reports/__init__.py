"""Reports: PDF and HTML built from metrics queries, in English or Korean."""
