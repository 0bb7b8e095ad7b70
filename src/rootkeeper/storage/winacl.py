"""Owner-only files on Windows: a protected access list that grants the user alone, read back after writing.

On Windows a file's mode only toggles read-only, and a new file inherits its folder's access list: a key share,
a seed sheet or an age identity written in a team share or a OneDrive folder would be readable by everyone that
folder grants. A secret file is therefore created with its own access list, ``D:P(A;;FA;;;<user's SID>)``
(protected: nothing inherited; full access for the user, no one else), through ``CreateFileW``'s security
attributes, so that no other account can open it between creation and a later ``icacls``. A replace keeps the
temporary file's access list. Where the file system keeps no access list (FAT, exFAT) or the server rewrites it
(some SMB servers), the access list read back says so, and the caller warns.

Readers open files so that a writer may still replace them (``open_shared``: FILE_SHARE_DELETE).

``owner_only(sddl, sid)`` is the pure rule (tested everywhere); the rest runs on Windows only.
"""

from __future__ import annotations

import os
import re

_ACE = re.compile(r"\(([^;()]*);([^;()]*);([^;()]*);([^;()]*);([^;()]*);([^;()]*)(?:;[^()]*)?\)")


def owner_only(sddl: str | None, sid: str) -> bool:
    """Does the security descriptor ``sddl`` let only ``sid`` in: a protected DACL (nothing inherited) whose every
    allowing entry is for ``sid``? A missing or null DACL (FAT, "everyone") is not."""
    if not sddl:
        return False
    dacl = re.search(r"D:([A-Z]*)((?:\([^()]*\))*)", sddl)
    if dacl is None or "P" not in dacl.group(1) or "NO_ACCESS_CONTROL" in sddl:
        return False
    entries = _ACE.findall(dacl.group(2))
    allowed = [entry for entry in entries if entry[0] in ("A", "OA", "XA")]
    return bool(allowed) and all(entry[5] == sid for entry in allowed)


def user_sid() -> str:  # pragma: no cover - Windows
    """This process's user, as an SID string (S-1-5-21-...)."""
    import ctypes
    from ctypes import wintypes

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    token = wintypes.HANDLE()
    if not advapi32.OpenProcessToken(kernel32.GetCurrentProcess(), 0x0008, ctypes.byref(token)):  # TOKEN_QUERY
        raise ctypes.WinError(ctypes.get_last_error())
    try:
        size = wintypes.DWORD()
        advapi32.GetTokenInformation(token, 1, None, 0, ctypes.byref(size))  # TokenUser
        buffer = ctypes.create_string_buffer(size.value)
        if not advapi32.GetTokenInformation(token, 1, buffer, size, ctypes.byref(size)):
            raise ctypes.WinError(ctypes.get_last_error())
        sid = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_void_p))[0]  # TOKEN_USER.User.Sid
        text = wintypes.LPWSTR()
        if not advapi32.ConvertSidToStringSidW(ctypes.c_void_p(sid), ctypes.byref(text)):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            return text.value
        finally:
            kernel32.LocalFree(text)
    finally:
        kernel32.CloseHandle(token)


def create(path: os.PathLike | str, sddl: str | None = None) -> int:  # pragma: no cover - Windows
    """Create ``path`` (it must not exist) with the access list ``sddl`` (default: this user alone); returns a
    writable fd."""
    import ctypes
    import msvcrt
    from ctypes import wintypes

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    descriptor = ctypes.c_void_p()
    if not advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl or f"D:P(A;;FA;;;{user_sid()})", 1, ctypes.byref(descriptor), None):  # SDDL_REVISION_1
        raise ctypes.WinError(ctypes.get_last_error())

    class SecurityAttributes(ctypes.Structure):
        _fields_ = [("nLength", wintypes.DWORD), ("lpSecurityDescriptor", ctypes.c_void_p),
                    ("bInheritHandle", wintypes.BOOL)]

    attributes = SecurityAttributes(ctypes.sizeof(SecurityAttributes), descriptor, False)
    kernel32.CreateFileW.restype = wintypes.HANDLE
    kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
                                     wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
    try:
        handle = kernel32.CreateFileW(_long(os.fspath(path)), 0x40000000, 0x7, ctypes.byref(attributes),
                                      1, 0x80, None)  # GENERIC_WRITE; share read/write/delete; CREATE_NEW; NORMAL
    finally:
        kernel32.LocalFree(descriptor)
    if handle in (None, wintypes.HANDLE(-1).value):
        error = ctypes.get_last_error()
        if error == 80:  # ERROR_FILE_EXISTS
            raise FileExistsError(17, "File exists", os.fspath(path))
        raise ctypes.WinError(error)
    return msvcrt.open_osfhandle(handle, os.O_WRONLY | os.O_BINARY)


def open_shared(path: os.PathLike | str):  # pragma: no cover - Windows
    """Open ``path`` for reading so that others may still replace or delete it meanwhile (FILE_SHARE_DELETE,
    which Python's open() does not give): a reader never makes a writer's commit fail."""
    import ctypes
    import msvcrt
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateFileW.restype = wintypes.HANDLE
    kernel32.CreateFileW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
                                     wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
    handle = kernel32.CreateFileW(_long(os.fspath(path)), 0x80000000, 0x7, None, 3, 0x80, None)  # GENERIC_READ,
    if handle in (None, wintypes.HANDLE(-1).value):  # share read/write/delete, OPEN_EXISTING, NORMAL
        error = ctypes.get_last_error()
        if error in (2, 3):  # ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND
            raise FileNotFoundError(2, "No such file or directory", os.fspath(path))
        if error == 5 and os.path.isdir(path):
            raise IsADirectoryError(21, "Is a directory", os.fspath(path))
        raise ctypes.WinError(error)
    return os.fdopen(msvcrt.open_osfhandle(handle, os.O_RDONLY | os.O_BINARY), "rb")


def descriptor(path: os.PathLike | str) -> str | None:  # pragma: no cover - Windows
    """The access list of ``path`` as SDDL (its DACL only), or None when it has none or cannot be read."""
    import ctypes
    from ctypes import wintypes

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    name = _long(os.fspath(path))
    size = wintypes.DWORD()
    advapi32.GetFileSecurityW(name, 4, None, 0, ctypes.byref(size))  # DACL_SECURITY_INFORMATION
    if not size.value:
        return None
    buffer = ctypes.create_string_buffer(size.value)
    if not advapi32.GetFileSecurityW(name, 4, buffer, size, ctypes.byref(size)):
        return None
    text = wintypes.LPWSTR()
    if not advapi32.ConvertSecurityDescriptorToStringSecurityDescriptorW(buffer, 1, 4, ctypes.byref(text), None):
        return None
    try:
        return text.value
    finally:
        kernel32.LocalFree(text)


def _long(path: str) -> str:
    from .fsutil import long_path

    return long_path(os.path.abspath(path))
