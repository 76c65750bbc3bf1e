"""Adapters to everything outside Pressroom. They know nothing about the database:
a channel takes a message and credentials and returns a result."""
