"""Blether: harm-reduction chat assistant. This package decides; actions translate."""
