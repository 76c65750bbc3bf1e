"""Images Pressroom draws. Nothing here knows about the database: rows in, bytes out."""
