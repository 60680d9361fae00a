"""The API's routes, one module per resource family; each translates HTTP and calls services."""
