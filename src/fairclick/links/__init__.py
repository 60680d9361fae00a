"""Tracked links (short codes) and the posts they are shared in."""
