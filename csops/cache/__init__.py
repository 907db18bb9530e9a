"""The record index and its caches: entries per file (analyse, entries, gitstate), the parsed
records in SQLite (db), brought together for a command by index."""
