"""The one error the IOC's actions raise: a code, an HTTP status and a message in the
user's language, with per-field details. Nothing has been changed when it is raised."""


class IocError(Exception):
    def __init__(self, code: str, message: str, *, status: int = 400,
                 details: list | None = None):
        super().__init__(message)
        self.code, self.message, self.status, self.details = code, message, status, details or []
