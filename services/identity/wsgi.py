"""gunicorn entry: gunicorn services.identity.wsgi:app"""
from . import create_app

app = create_app()
