"""Building blocks for press releases that need no database: the body's Markdown, release
numbers, invitation calendar files and the printable PDF."""
