"""One module per CLI command: argument handling and console output around the library."""
