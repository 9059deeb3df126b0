"""User storage: accounts and sign-in throttling."""
