"""fairclick: pay-per-click influencer links with honest counting."""

__version__ = "0.1.0"
