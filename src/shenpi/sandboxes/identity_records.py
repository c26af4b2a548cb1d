"""The identity sandbox's registry: the people and companies it knows, as the real registries would.

Kept here rather than read from the platform (a sandbox knows only the wire format). It holds the
demo's applicants (shenpi.demo.people.demo_applicants, seed 4_2026) and their legal
representatives, and the identities the tests use (tests/applicants/helpers.py).
"""

# (name, resident identity card number)
PEOPLE = [
    ("刘建华", "370211199106269695"),  # demo: the resident
    ("赵海燕", "370283197604081989"),  # demo: 恒通置业's legal representative
    ("孙丽华", "370281197408186270"),  # demo: 鑫源餐饮's legal representative
    ("周志强", "370202198005023310"),  # demo: an agent authorised by 恒通置业
    ("李四", "110105199003071239"),  # tests: person_id()
    ("王五", "110105198506151236"),  # tests: 示范科技's legal representative
    ("张三", "110108199211204568"),  # tests: a second person
]

# (company name, unified social credit code, legal representative's name)
COMPANIES = [
    ("示范市恒通置业有限公司", "91370281170400402A", "赵海燕"),
    ("示范市鑫源餐饮管理有限公司", "9137028266375302X5", "孙丽华"),
    ("示范科技有限公司", "91110105MA01ABCD13", "王五"),
]

# The platform's credentials at this service (SHENPI_IDENTITY_APP_KEY / _SECRET default to them).
APPS = {"shenpi-sandbox": "sandbox-secret"}
