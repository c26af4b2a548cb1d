"""Security: the security audit log (安全审计) and what guards sign-in and the platform's secrets."""
