"""Throw-away certificate authorities for the TLS tests, made with the
openssl command line: a CA, server certificates for 127.0.0.1/localhost and
client certificates, all PEM files in one folder.

    pki = Pki(workdir)
    ca = pki.ca("trusted")                  # Cert: .cert (.key)
    server = pki.issue(ca, "server", server=True)
    rogue = pki.ca("rogue")                 # another, unrelated CA
    client = pki.issue(rogue, "client")     # a client cert nobody trusts
"""
import dataclasses
import os
import subprocess

OPENSSL = "/usr/bin/openssl"
DAYS = "2"


@dataclasses.dataclass
class Cert:
    name: str
    cert: str  # PEM certificate
    key: str   # PEM private key (unencrypted)

    def read(self):
        """(key bytes, cert bytes), e.g. for grpc.ssl_channel_credentials."""
        with open(self.key, "rb") as k, open(self.cert, "rb") as c:
            return k.read(), c.read()


class Pki:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "pki")
        os.makedirs(self.dir, exist_ok=True)

    def _path(self, name, ext):
        return os.path.join(self.dir, f"{name}.{ext}")

    def _openssl(self, *args):
        done = subprocess.run([OPENSSL, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise AssertionError(f"openssl {' '.join(args)}: {done.stderr}")

    def ca(self, name):
        """A self-signed CA."""
        cert, key = self._path(name, "crt"), self._path(name, "key")
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                      "-out", cert, "-days", DAYS, "-subj", f"/O=grpc-amqp-bridge tests/CN={name}",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return Cert(name, cert, key)

    def issue(self, ca, name, server=False):
        """A certificate signed by `ca`: for a server on 127.0.0.1/localhost
        (serverAuth) or a client (clientAuth)."""
        cert, key, csr = self._path(name, "crt"), self._path(name, "key"), self._path(name, "csr")
        ext = self._path(name, "ext")
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                      "-subj", f"/O=grpc-amqp-bridge tests/CN={'localhost' if server else name}")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n")
            if server:
                f.write("extendedKeyUsage=serverAuth\n"
                        "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        self._openssl("x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key,
                      "-CAcreateserial", "-out", cert, "-days", DAYS, "-extfile", ext)
        # rabbitmq-server runs as root here, but keep keys private anyway.
        os.chmod(key, 0o600)
        return Cert(name, cert, key)
