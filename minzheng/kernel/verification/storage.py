"""Files awaiting a decision, kept encrypted: a file with bad rows holds full ID numbers.

A batch with errors keeps its file until the operator imports the valid rows or discards
the batch; the file is then deleted. It is stored in blocks of 4 MB, each encrypted with
the personal-data key (AES-GCM, common.crypto) and framed by its length, so neither
writing nor reading holds the whole file in memory.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import IO

from django.conf import settings

from minzheng.common import crypto

PURPOSE = "verification.pending_file"
BLOCK = 4 << 20


def pending_root() -> Path:
    root = getattr(settings, "VERIFICATION_PENDING_ROOT", None)
    return Path(root) if root else Path(settings.MEDIA_ROOT).parent / "verification-pending"


def store(file: IO[bytes]) -> str:
    """Encrypt `file` into the pending folder; returns the stored name."""
    root = pending_root()
    root.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ".bin"
    encrypt = crypto.encryptor(purpose=PURPOSE)
    file.seek(0)
    with (root / name).open("wb") as out:
        while block := file.read(BLOCK):
            # latin-1 maps each byte to one character, so any bytes survive the round trip.
            token = encrypt(block.decode("latin-1"))
            out.write(len(token).to_bytes(8, "big"))
            out.write(token)
    file.seek(0)
    return name


def load(name: str) -> IO[bytes]:
    """The decrypted file, as a temporary file that disappears when closed."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - returned open to the caller
    with (pending_root() / name).open("rb") as stored:
        while header := stored.read(8):
            token = stored.read(int.from_bytes(header, "big"))
            out.write(crypto.decrypt(token, purpose=PURPOSE).encode("latin-1"))
    out.seek(0)
    return out


def delete(name: str) -> None:
    if name:
        (pending_root() / name).unlink(missing_ok=True)
