"""gunicorn entry: gunicorn services.orgs.wsgi:app"""
from . import create_app

app = create_app()
