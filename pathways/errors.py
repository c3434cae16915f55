"""A ValidationError as one line of text for an editor: the admin's revert message and the
importer's row errors both say it this way."""

from django.core.exceptions import ValidationError


def error_text(error: ValidationError) -> str:
    """ "field: message; other: message", or the messages alone when no field is named."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "; ".join(
        f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
        for name, messages in error.message_dict.items()
    )
