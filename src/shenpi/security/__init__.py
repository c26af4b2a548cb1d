"""Security: the security audit log (安全审计) and what guards sign-in and the platform's secrets."""

# Audit records are kept at least six months (GB/T 22239-2019, level 3, 安全审计): the retention
# setting refuses less, and the database triggers refuse deleting younger rows whatever it says.
MINIMUM_RETENTION_DAYS = 183
