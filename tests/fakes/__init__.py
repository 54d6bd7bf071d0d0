"""Local fake servers that speak the social networks' real HTTP protocols, for tests that never leave 127.0.0.1."""
