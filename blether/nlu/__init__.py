"""Rasa NLU components. They read content at model load, never at import."""
