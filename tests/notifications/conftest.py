from tests.fakes.fixtures import apns, fake_apns  # noqa: F401
