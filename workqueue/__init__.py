"""Infusion-center revenue-cycle work queues."""
