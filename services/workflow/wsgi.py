"""gunicorn entry: gunicorn services.workflow.wsgi:app"""
from . import create_app
from .service import deploy_directory

app = create_app()
deploy_directory(app.extensions["rencai.kit"].db, app.extensions["rencai.kit"].settings.bpmn_dir)
