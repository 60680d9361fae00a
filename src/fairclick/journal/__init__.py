"""The durable click journal: every request to /c/… is appended here before its response leaves."""
