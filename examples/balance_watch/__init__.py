"""A small consumer of the Account API: the code under test in the plugin's example."""
