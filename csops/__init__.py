"""csops — a customer-service department's records (tickets, returns, leave, scores) as YAML in Git."""

__version__ = "0.1.0"
