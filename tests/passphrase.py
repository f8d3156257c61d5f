"""Pulumi's passphrase secrets provider, as the CLI implements it (PBKDF2-SHA256, 1,000,000 rounds, AES-256-GCM).

Used to read the committed local stack's ``encryptionsalt`` and ``secure:`` values the way ``pulumi`` would; checked
against the test vectors in Pulumi's own passphrase-manager tests.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ROUNDS = 1_000_000


@functools.cache
def _key(passphrase: str, salt: str) -> bytes:
    """The AES key of ``passphrase`` and ``salt`` (base64): half a second of CPU each, so derived once."""
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), base64.b64decode(salt), ROUNDS, 32)


class Crypter:
    def __init__(self, passphrase: str, encryption_salt: str) -> None:
        version, salt, check = encryption_salt.split(":", 2)
        assert version == "v1", encryption_salt
        self._aes = AESGCM(_key(passphrase, salt))
        try:
            matches = self.decrypt(check) == "pulumi"
        except InvalidTag:
            matches = False
        if not matches:
            raise ValueError("incorrect passphrase")

    def decrypt(self, value: str) -> str:
        version, nonce, ciphertext = value.split(":")
        assert version == "v1", value
        return self._aes.decrypt(base64.b64decode(nonce), base64.b64decode(ciphertext), None).decode()

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        ciphertext = self._aes.encrypt(nonce, plaintext.encode(), None)
        return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(ciphertext).decode()}"


def new_salt(passphrase: str) -> str:
    """An ``encryptionsalt`` as ``pulumi stack init --secrets-provider passphrase`` writes it."""
    salt = os.urandom(8)
    aes = AESGCM(hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, ROUNDS, 32))
    nonce = os.urandom(12)
    check = aes.encrypt(nonce, b"pulumi", None)
    return (
        f"v1:{base64.b64encode(salt).decode()}:v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(check).decode()}"
    )
