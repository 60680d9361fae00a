"""Routes of the web dashboards, one module per area."""
