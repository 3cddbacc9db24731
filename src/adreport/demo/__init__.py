"""The demo: realistic sample exports, imported and reported by the user's own path."""
