"""The REST API (FastAPI, under /api/v1): routes translate HTTP and call services; the
authorisation rules live in `fairclick.accounts.policy`."""
