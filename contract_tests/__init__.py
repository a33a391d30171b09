"""Contract tests: the mock and the client checked against the spec."""
