"""Phone and meeting platforms (RingCentral first); each implements platforms/base.py."""
