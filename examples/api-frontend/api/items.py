"""The API's pure logic: validating and shaping items, tested alone on api-build."""


class InvalidItem(ValueError):
    pass


def parse_item(body):
    """Returns the item name from a request body, or raises InvalidItem."""
    if not isinstance(body, dict):
        raise InvalidItem("the body must be a JSON object")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidItem('"name" must be a non-empty string')
    if len(name) > 100:
        raise InvalidItem('"name" must be at most 100 characters')
    return name.strip()


def item_event(item_id, name):
    """The message published when an item is created."""
    return {"event": "item.created", "id": item_id, "name": name}
