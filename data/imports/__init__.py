"""Import storage: core.imports' store on the database, and running an import of a file."""
