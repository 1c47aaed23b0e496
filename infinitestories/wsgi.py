import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infinitestories.settings")
application = get_wsgi_application()

# Each web process is ready for its first request when it starts, rather than making that
# request wait about a second: the URLconf loaded (with every view, serializer and the Celery
# client it imports) and the AI providers built (infinitestories/ai/chain.py).
from infinitestories.ai.chain import providers_warm_up  # noqa: E402

get_resolver().url_patterns  # noqa: B018 - loads the URLconf now
providers_warm_up()
