import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shenpi.settings")
application = get_wsgi_application()

# Periodic jobs without a broker (registered by the apps when their SHENPI_…_IN_PROCESS setting is on):
# every process of the web server starts them, one process of the machine runs each (shenpi.background).
from shenpi import background  # noqa: E402 - after the apps are ready

background.start()
