"""`make mutate`: mutation testing of the modules that hold the project's promises, measured into docs/mutation.md."""
