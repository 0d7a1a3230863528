"""Synthetic demo data: payers with their rules, patients, therapy, claims, and open work.

Everything here is invented (names, MRNs, member IDs, NPIs with valid check digits) and
generated from a seeded random source, so two runs on the same day give the same data.
"""
