"""Campaigns and journeys: permission-based, personalised messages, recommendations and measured response."""
