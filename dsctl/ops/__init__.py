"""Domain operations: one function per user-visible action.

The CLI parses arguments, calls one of these, and renders what comes back.
"""
