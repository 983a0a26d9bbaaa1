"""Voice of the customer (being written)."""
