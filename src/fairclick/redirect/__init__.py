"""The redirect hot path: `GET /c/{code}` → 302, journaled durably before the response leaves."""
