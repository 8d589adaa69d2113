"""What admins, supervisors and TPPS read on the web and in the API, within their scope.

Each function takes a Session and the asking user's Scope and returns JSON-able dicts; the
service turns them into JSON, HTML or files. Reads of family data are audited by the caller's
request, in the same transaction.
"""
