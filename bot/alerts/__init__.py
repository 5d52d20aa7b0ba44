"""Alerts open incidents (SPEC 6): the alert catalogue, the sources' webhooks read and
authenticated, grouping, and the intake that turns a stored alert into an incident's work."""
