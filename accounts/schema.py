from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerSessionScheme(OpenApiAuthenticationExtension):
    """Documents our bearer sessions in the OpenAPI schema."""

    target_class = "accounts.authentication.BearerSessionAuthentication"
    name = "bearerSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Session token from signup or login",
        }
