"""Barnraise: an open-source engine for peer-to-peer marketplaces."""

__version__ = "0.1.0"
