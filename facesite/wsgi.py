import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facesite.settings")
application = get_wsgi_application()

# After the application is ready, so the process answers requests while the networks load.
from facesite.warmup import warm_up_start  # noqa: E402 (needs the settings configured above)

warm_up_start()
