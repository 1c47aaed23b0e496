"""Failures of what the service runs on (the cache and broker, the database, object storage), as
opposed to bugs or bad input. A request that meets one answers 503 SERVICE_UNAVAILABLE
(infinitestories.api.errors); a generation job that meets one is retried later, keeping the AI
work already paid for (stories.services.jobs).
"""

from botocore.exceptions import BotoCoreError, ClientError
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

# OSError covers local storage and sockets (ConnectionError, TimeoutError are OSErrors).
INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    RedisError,
    BrokerError,
    OperationalError,
    InterfaceError,
    BotoCoreError,
    ClientError,
    OSError,
)
