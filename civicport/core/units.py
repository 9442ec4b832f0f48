"""Administrative units. (Interface stub: being implemented.)"""


def resolve_address(text: str):
    return None


def ward_search(query: str, limit: int = 20):
    return []
