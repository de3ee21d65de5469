"""The volume manager: volumed's RPC endpoint. Each public method is an RPC
method; oslo.messaging passes the caller's context dict first, then the
caller's keyword arguments."""
import datetime
import threading
import uuid

import oslo_messaging

from volumed import exception


class VolumeManager:
    # 3.0: create_volume, get_volume, get_all, delete_volume, get_volume_stats.
    # 3.1: extend_volume.
    target = oslo_messaging.Target(version="3.1")

    def __init__(self, host, quota_gigabytes):
        self.host = host
        self.quota_gigabytes = quota_gigabytes
        self._volumes = {}
        self._lock = threading.Lock()

    def _get(self, volume_id):
        try:
            return self._volumes[volume_id]
        except KeyError:
            raise exception.VolumeNotFound(volume_id=volume_id)

    def _check_quota(self, more_gigabytes):
        consumed = sum(v["size"] for v in self._volumes.values())
        if consumed + more_gigabytes > self.quota_gigabytes:
            raise exception.VolumeSizeExceedsAvailableQuota(
                requested=more_gigabytes, quota=self.quota_gigabytes, consumed=consumed)

    def create_volume(self, context, size, name=None, volume_type="standard", metadata=None):
        if size <= 0:
            raise exception.InvalidInput(reason=f"size must be a positive number of GiB, not {size}")
        with self._lock:
            self._check_quota(size)
            volume = {
                "id": str(uuid.uuid4()),
                "name": name or "",
                "size": size,
                "status": "available",
                "volume_type": volume_type,
                "metadata": metadata or {},
                "host": self.host,
                "project_id": context.get("project_id"),
                "user_id": context.get("user_id"),
                "created_at": datetime.datetime.utcnow().isoformat(),
                "bootable": False,
                "attach_status": "detached",
            }
            self._volumes[volume["id"]] = volume
        return volume

    def get_volume(self, context, volume_id):
        return self._get(volume_id)

    def get_all(self, context, filters=None):
        filters = filters or {}
        return [v for v in self._volumes.values()
                if all(str(v.get(key)) == str(value) for key, value in filters.items())]

    def extend_volume(self, context, volume_id, new_size):
        with self._lock:
            volume = self._get(volume_id)
            if new_size <= volume["size"]:
                raise exception.InvalidInput(
                    reason=f"new size {new_size} must be larger than the current {volume['size']}")
            self._check_quota(new_size - volume["size"])
            volume["size"] = new_size
        return volume

    def delete_volume(self, context, volume_id):
        # Callers cast this: nobody waits for an answer.
        with self._lock:
            self._volumes.pop(volume_id, None)
        print(f"deleted volume {volume_id} (request {context.get('request_id')})", flush=True)

    def get_volume_stats(self, context, refresh=False):
        consumed = sum(v["size"] for v in self._volumes.values())
        return {
            "volume_backend_name": "lvm",
            "vendor_name": "Open Source",
            "storage_protocol": "iSCSI",
            "total_capacity_gb": float(self.quota_gigabytes),
            "free_capacity_gb": float(self.quota_gigabytes - consumed),
            "host": self.host,
        }
