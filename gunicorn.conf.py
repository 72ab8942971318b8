"""gunicorn reads this from the working directory (the project root, /app in the image):
its access and error logs are redacted like every other log line (services/common/logging.py)."""
logger_class = "services.common.logging.GunicornLogger"
