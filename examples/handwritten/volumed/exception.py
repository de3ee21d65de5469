"""volumed's exceptions, built like Cinder's: a message template filled from
keyword arguments, which oslo.messaging sends to callers with the class and
module names."""


class VolumedException(Exception):
    message = "An unknown exception occurred."

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        super().__init__(message or self.message % kwargs)


class InvalidInput(VolumedException):
    message = "Invalid input received: %(reason)s"


class VolumeNotFound(VolumedException):
    message = "Volume %(volume_id)s could not be found."


class VolumeSizeExceedsAvailableQuota(VolumedException):
    message = ("Requested volume exceeds allowed gigabytes quota. Requested "
               "%(requested)sG, quota is %(quota)sG and %(consumed)sG has been consumed.")
