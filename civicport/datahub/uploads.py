"""Upload size limit enforced while the body streams in, not after it is on disk.

A request announcing more than the limit is refused before its body is read; one that
lies about its length is cut off by `LimitedUploadHandler` as soon as the running total
passes the limit (Django would otherwise spool the whole 2 GB to a temporary file first).
"""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from civicport.datahub import ingest

# Room for the multipart envelope and the other form fields around the file.
ENVELOPE = 64 * 1024


class LimitedUploadHandler(FileUploadHandler):
    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = limit or ingest.upload_limit()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.datahub_upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def install(request) -> bool:
    """Put the limiting handler first; False when the announced length is already too big."""
    limit = ingest.upload_limit()
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit + ENVELOPE:
        return False
    request.upload_handlers.insert(0, LimitedUploadHandler(request, limit))
    return True


def too_large(request) -> bool:
    return bool(getattr(request, "datahub_upload_too_large", False))
