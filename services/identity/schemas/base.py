"""What identity's schema modules share."""
from marshmallow import fields, validate


def text(description: str, max_length: int = 200, **kwargs):
    """An optional text field: the use cases check each rule themselves (see __init__)."""
    return fields.String(validate=validate.Length(max=max_length), allow_none=True,
                         metadata={"description": description}, **kwargs)
