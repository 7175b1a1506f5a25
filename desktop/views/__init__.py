"""Views: widgets and layout only. Behaviour lives in `desktop.controllers`."""
