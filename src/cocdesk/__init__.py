"""cocdesk: case handling for a Code of Conduct committee."""
