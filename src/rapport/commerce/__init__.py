"""Customer value: products, orders, the loyalty ledger, and each person's value summary."""
