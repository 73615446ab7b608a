from pathlib import Path

WEB_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
