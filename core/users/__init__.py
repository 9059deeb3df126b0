"""Users: accounts, sign-in, password hashing and the role policy."""
