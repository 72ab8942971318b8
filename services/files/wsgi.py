"""gunicorn entry: gunicorn services.files.wsgi:app"""
from . import create_app

app = create_app()
