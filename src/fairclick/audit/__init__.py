"""`fairclick audit`: how much of any click or web-server log was real traffic."""
