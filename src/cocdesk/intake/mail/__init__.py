"""Email intake (D2, D11): parsing, storing, and the IMAP client."""
