"""adreport: campaign performance reports that build themselves."""

__version__ = "0.1.0"
