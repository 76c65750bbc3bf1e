"""The scheduler process and its ticks. Never started inside ``create_app``."""
