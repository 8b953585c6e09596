"""Named profiles: where a store is and how to authenticate to it (SPEC section 4).

schema.py     the field and auth-mode tables, as data
store.py      profiles.yaml (no secret values) and the default profile
secrets.py    the OS keyring (or an explicitly chosen 0600 file)
effective.py  precedence, written once: flags > env override > profile + keyring
refresh.py    short-lived credentials: `command` helpers and assume-role
manage.py     what `dsctl profile …` does
"""
