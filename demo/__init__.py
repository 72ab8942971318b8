"""Demo data for `make run` and the end-to-end tests."""
