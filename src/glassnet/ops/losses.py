"""Fused stable losses (filled in)."""
__all__ = []
