"""World files: one YAML/JSON document that builds or updates a whole platform idempotently."""
