"""`rapport bench load`: the whole product under load on loopback (locust drives a real `rapport serve`)."""
