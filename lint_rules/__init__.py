"""Rules that find problems, one per module; the registry picks up every module here."""
