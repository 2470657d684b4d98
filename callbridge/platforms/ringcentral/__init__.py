"""RingCentral: auth (JWT, code + PKCE), a rate-budgeted client, call log, recordings, messages."""
