"""Rasa custom actions: thin translators from a tracker to `blether` answers."""
