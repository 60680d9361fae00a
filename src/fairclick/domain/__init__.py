"""Pure types and rules shared by every capability: no I/O, no framework imports."""
