"""A network that exists only for the tests: two tin cans and a string, as a connector folder would add it.

It lives outside the shipped folders and is registered by a test with one line in `registry.NETWORK_MODULES`,
which is all a new network asks of the rest of Rapport.
"""
