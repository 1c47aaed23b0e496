"""The one JSON parser: camelCase in, and a body nested too deeply is a 400, not a crash.

Text the database or the renderer cannot hold (NUL, a lone surrogate) is refused by the field
that would store it (DRF's CharField refuses both; the schema says so), so a field the endpoint
does not know is ignored whatever it holds, as the schema's open objects promise.
"""

from django.utils.translation import gettext as _
from djangorestframework_camel_case.parser import CamelCaseJSONParser
from rest_framework import exceptions


class JSONParser(CamelCaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("The JSON body is nested too deeply.")) from None
