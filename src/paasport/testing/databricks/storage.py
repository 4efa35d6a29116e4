"""DBFS and Unity Catalog volumes of the emulated workspace: folders on this machine.

The job's driver reads and writes them through the same folders (its "mounts", /dbfs and
/Volumes on Databricks), so what the client uploads over HTTP is what the job sees.
"""

from __future__ import annotations

import base64
import shutil
import threading
from pathlib import Path
from typing import Any


class StorageError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _not_found(path: str) -> StorageError:
    return StorageError(
        404, "RESOURCE_DOES_NOT_EXIST", f"No file or directory exists on path {path}."
    )


def _exists(path: str) -> StorageError:
    message = f"A file or directory already exists at the input path {path}."
    return StorageError(400, "RESOURCE_ALREADY_EXISTS", message)


class Storage:
    def __init__(self, root: Path) -> None:
        self.dbfs_root = root / "dbfs"
        self.volumes_root = root / "Volumes"
        self.dbfs_root.mkdir(parents=True, exist_ok=True)
        self.volumes_root.mkdir(parents=True, exist_ok=True)
        self._handles: dict[int, tuple[Path, bytearray]] = {}
        self._next = 1
        self._lock = threading.Lock()

    def create_volume(self, catalog: str, schema: str, volume: str) -> str:
        (self.volumes_root / catalog / schema / volume).mkdir(parents=True, exist_ok=True)
        return f"/Volumes/{catalog}/{schema}/{volume}"

    # --- paths -------------------------------------------------------------------------------
    def dbfs(self, path: str) -> Path:
        rel = path.removeprefix("dbfs:").strip("/")
        local = (self.dbfs_root / rel).resolve()
        if not local.is_relative_to(self.dbfs_root.resolve()):
            raise StorageError(400, "INVALID_PARAMETER_VALUE", f"bad path {path}")
        return local

    def volume(self, path: str) -> Path:
        """The folder of a /Volumes/<catalog>/<schema>/<volume>/... path; the volume must exist."""
        parts = path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != "Volumes":
            raise StorageError(400, "INVALID_PARAMETER_VALUE", f"not a volume path: {path}")
        if not (self.volumes_root / "/".join(parts[1:4])).is_dir():
            raise StorageError(404, "NOT_FOUND", f"volume {'.'.join(parts[1:4])} does not exist")
        local = (self.volumes_root / "/".join(parts[1:])).resolve()
        if not local.is_relative_to(self.volumes_root.resolve()):
            raise StorageError(400, "INVALID_PARAMETER_VALUE", f"bad path {path}")
        return local

    def local(self, uri: str) -> Path | None:
        """The local file of a dbfs: or /Volumes/ URI the job refers to, else None."""
        if uri.startswith("dbfs:"):
            return self.dbfs(uri)
        if uri.startswith("/Volumes/"):
            return self.volume(uri)
        return None

    # --- DBFS API ------------------------------------------------------------------------------
    def dbfs_status(self, path: str) -> dict[str, Any]:
        local = self.dbfs(path)
        if not local.exists():
            raise _not_found(path)
        return _info("/" + path.removeprefix("dbfs:").strip("/"), local)

    def dbfs_list(self, path: str) -> list[dict[str, Any]]:
        local = self.dbfs(path)
        if not local.exists():
            raise _not_found(path)
        if local.is_file():
            return [self.dbfs_status(path)]
        base = "/" + path.removeprefix("dbfs:").strip("/")
        return [_info(f"{base.rstrip('/')}/{c.name}", c) for c in sorted(local.iterdir())]

    def dbfs_put(self, path: str, data: bytes, overwrite: bool) -> None:
        local = self.dbfs(path)
        if local.exists() and not overwrite:
            raise _exists(path)
        _write_atomic(local, data)

    def dbfs_create(self, path: str, overwrite: bool) -> int:
        local = self.dbfs(path)
        if local.exists() and not overwrite:
            raise _exists(path)
        with self._lock:
            handle, self._next = self._next, self._next + 1
            self._handles[handle] = (local, bytearray())
        return handle

    def dbfs_add_block(self, handle: int, data: str) -> None:
        with self._lock:
            if handle not in self._handles:
                raise StorageError(404, "RESOURCE_DOES_NOT_EXIST", f"no handle {handle}")
            self._handles[handle][1].extend(base64.b64decode(data))

    def dbfs_close(self, handle: int) -> None:
        with self._lock:
            local, data = self._handles.pop(handle)
        _write_atomic(local, bytes(data))

    def dbfs_read(self, path: str, offset: int, length: int) -> dict[str, Any]:
        local = self.dbfs(path)
        if not local.is_file():
            raise _not_found(path)
        with local.open("rb") as f:
            f.seek(offset)
            chunk = f.read(length)
        return {"bytes_read": len(chunk), "data": base64.b64encode(chunk).decode()}

    def dbfs_delete(self, path: str, recursive: bool) -> None:
        local = self.dbfs(path)
        if local.is_dir():
            if any(local.iterdir()) and not recursive:
                raise StorageError(400, "IO_ERROR", f"{path} is a non-empty directory")
            shutil.rmtree(local)
        elif local.exists():
            local.unlink()

    def dbfs_move(self, source: str, destination: str) -> None:
        src, dst = self.dbfs(source), self.dbfs(destination)
        if not src.exists():
            raise _not_found(source)
        if dst.exists():
            raise StorageError(400, "RESOURCE_ALREADY_EXISTS", f"{destination} already exists")
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)

    # --- Files API (volumes) ------------------------------------------------------------------
    def file_put(self, path: str, data: bytes, overwrite: bool) -> None:
        local = self.volume(path)
        if local.exists() and not overwrite:
            raise StorageError(409, "ALREADY_EXISTS", f"{path} already exists")
        _write_atomic(local, data)

    def file_get(self, path: str) -> bytes:
        local = self.volume(path)
        if not local.is_file():
            raise StorageError(404, "NOT_FOUND", f"{path} does not exist")
        return local.read_bytes()

    def file_delete(self, path: str) -> None:
        local = self.volume(path)
        if not local.is_file():
            raise StorageError(404, "NOT_FOUND", f"{path} does not exist")
        local.unlink()

    def dir_list(self, path: str) -> list[dict[str, Any]]:
        local = self.volume(path)
        if not local.is_dir():
            raise StorageError(404, "NOT_FOUND", f"directory {path} does not exist")
        return [
            {
                "path": f"{path.rstrip('/')}/{c.name}",
                "name": c.name,
                "is_directory": c.is_dir(),
                "file_size": c.stat().st_size if c.is_file() else None,
                "last_modified": int(c.stat().st_mtime * 1000),
            }
            for c in sorted(local.iterdir())
        ]

    def dir_create(self, path: str) -> None:
        self.volume(path).mkdir(parents=True, exist_ok=True)

    def dir_delete(self, path: str) -> None:
        local = self.volume(path)
        if not local.is_dir():
            raise StorageError(404, "NOT_FOUND", f"directory {path} does not exist")
        if any(local.iterdir()):
            raise StorageError(409, "DIRECTORY_NOT_EMPTY", f"directory {path} is not empty")
        local.rmdir()


def _info(path: str, local: Path) -> dict[str, Any]:
    stat = local.stat()
    return {
        "path": path,
        "is_dir": local.is_dir(),
        "file_size": 0 if local.is_dir() else stat.st_size,
        "modification_time": int(stat.st_mtime * 1000),
    }


def _write_atomic(local: Path, data: bytes) -> None:
    """Readers (the job, the message reader) see the old file or the new one, never a part."""
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(local)
