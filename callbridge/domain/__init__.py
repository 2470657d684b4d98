"""The pure centre of callbridge: types and rules with no I/O and no imports of our own."""
