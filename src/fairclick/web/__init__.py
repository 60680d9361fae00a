"""Server-rendered web dashboards for advertisers, influencers and operators (`create_web`)."""

from fairclick.web.app import create_web

__all__ = ["create_web"]
