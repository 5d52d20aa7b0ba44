"""Customers hear from us (SPEC 8): notices and the customer report, drafted from the incident
and published only through the approval engine (actions `customer-notice`, `customer-report`).
"""
