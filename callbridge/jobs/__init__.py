"""Background work: rows in the database, run by workers, woken by Huey."""
