"""User pages: sign-in, one's own password, user administration."""
