"""The hand-made TLS probes of a scan, on SSLyze's connection helpers (worker side only).

SSLyze's scan commands cover cipher suites, groups, renegotiation, compression, 0-RTT
and the vulnerabilities; what a mail-server grading needs beyond them is done here
with single handshakes, as internet.nl does:

- `probe_versions`: one handshake per protocol version (SSL 2.0 .. TLS 1.3), giving
  the versions accepted, the suite and ephemeral key negotiated, Extended Master Secret
  and the certificate chain;
- `probe_kex_hash`: the weakest hash a TLS 1.2 key exchange is signed with;
- `probe_cipher_order`: whether the server chooses the suite, and a strong one first.

Imported only inside the scan worker process (`net.tls_scan_worker`): SSLyze, nassl
and cryptography stay out of the main program.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from nassl._nassl import OpenSSLError
from nassl.ephemeral_key_info import (
    DhEphemeralKeyInfo,
    EcDhEphemeralKeyInfo,
    EphemeralKeyInfo,
    OpenSslEvpPkeyEnum,
)
from nassl.ssl_client import (
    ClientCertificateRequested,
    ExtendedMasterSecretSupportEnum,
    OpenSslDigestNidEnum,
    SslClient,
)
from sslyze.errors import (
    ConnectionToServerFailed,
    ServerRejectedOpportunisticTlsNegotiation,
    TlsHandshakeFailed,
)
from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
from sslyze.server_connectivity import (
    ClientAuthRequirementEnum,
    ServerConnectivityInfo,
    ServerTlsProbingResult,
    TlsVersionEnum,
)

from smtpcheck.knowledge.tls_grades import prime_fingerprint, suite_level
from smtpcheck.net.tls_scan_model import (
    AcceptedSuite,
    CertificateFacts,
    CipherOrder,
    EphemeralKey,
)

#: our version names and SSLyze's, newest first (the order the probes try them)
VERSIONS: tuple[tuple[str, TlsVersionEnum], ...] = (
    ("TLSv1.3", TlsVersionEnum.TLS_1_3),
    ("TLSv1.2", TlsVersionEnum.TLS_1_2),
    ("TLSv1.1", TlsVersionEnum.TLS_1_1),
    ("TLSv1.0", TlsVersionEnum.TLS_1_0),
    ("SSLv3", TlsVersionEnum.SSL_3_0),
    ("SSLv2", TlsVersionEnum.SSL_2_0),
)
VERSION_ENUM = dict(VERSIONS)

#: the probing result SSLyze wants before any connection; every probe here names its
#: version, so its values are never used (internet.nl's scanner does the same)
PLACEHOLDER_PROBING = ServerTlsProbingResult(
    highest_tls_version_supported=TlsVersionEnum.TLS_1_3,
    cipher_suite_supported="",
    client_auth_requirement=ClientAuthRequirementEnum.DISABLED,
    supports_ecdh_key_exchange=True,
)

#: every suite the client library has, anonymous and null ones last: a server that
#: only offers weak suites is still seen speaking that version
ALL_SUITES = "ALL:COMPLEMENTOFALL:+aNULL:+eNULL"
SIGNED_KEY_EXCHANGE = "ECDHE:DHE:!aNULL:!eNULL"
_HASH_NAMES = {
    OpenSslDigestNidEnum.MD5: "md5",
    OpenSslDigestNidEnum.SHA1: "sha1",
    OpenSslDigestNidEnum.SHA224: "sha224",
    OpenSslDigestNidEnum.SHA256: "sha256",
    OpenSslDigestNidEnum.SHA384: "sha384",
    OpenSslDigestNidEnum.SHA512: "sha512",
}
_KEY_TYPES = (OpenSslEvpPkeyEnum.RSA, OpenSslEvpPkeyEnum.EC, OpenSslEvpPkeyEnum.DSA)


class Unreachable(Exception):
    """No TCP connection, or no SMTP greeting/EHLO: nothing can be scanned."""


class NoStartTls(Exception):
    """The server does not offer STARTTLS, or refuses it."""


@dataclass
class VersionProbes:
    """What the one-handshake-per-version probes found."""

    versions: dict[str, bool] = field(default_factory=dict)
    suites: list[AcceptedSuite] = field(default_factory=list)
    extended_master_secret: bool | None = None
    chain_pem: list[str] = field(default_factory=list)
    #: "TLSv1.1: reason" for versions whose connection failed before TLS
    problems: list[str] = field(default_factory=list)


def ephemeral_key(info: EphemeralKeyInfo | None) -> EphemeralKey | None:
    """Our plain form of nassl's ephemeral key description."""
    if isinstance(info, EcDhEphemeralKeyInfo):
        return EphemeralKey(kind="ECDH", bits=info.size, group=info.curve_name)
    if isinstance(info, DhEphemeralKeyInfo):
        return EphemeralKey(
            kind="DH",
            bits=info.size,
            prime_sha256=prime_fingerprint(int.from_bytes(info.prime, "big")),
            generator=int.from_bytes(info.generator, "big"),
        )
    return None


def iana_name(version: TlsVersionEnum, openssl_name: str) -> str:
    try:
        return CipherSuitesRepository.get_cipher_suite_with_openssl_name(version, openssl_name).name
    except ValueError:
        return openssl_name


@dataclass(frozen=True)
class _VersionResult:
    name: str
    accepted: bool
    suite: AcceptedSuite | None = None
    chain_pem: tuple[str, ...] = ()
    extended_master_secret: bool | None = None
    #: not refused by TLS but lost before it (a connection limit?): the verdict is unsure
    problem: str | None = None


def _probe_version(info: ServerConnectivityInfo, name: str, first: bool) -> _VersionResult:
    """One handshake with one version. Connection failures on the `first` probe raise
    Unreachable or NoStartTls; on the others they count as the version refused."""
    version = VERSION_ENUM[name]
    connection = info.get_preconfigured_tls_connection(
        override_tls_version=version,
        should_use_legacy_openssl=version not in (TlsVersionEnum.TLS_1_2, TlsVersionEnum.TLS_1_3),
    )
    if version is not TlsVersionEnum.TLS_1_3:
        connection.ssl_client.set_cipher_list(ALL_SUITES)
    try:
        connection.connect(should_retry_connection=first)
        client = connection.ssl_client
        openssl_name = client.get_current_cipher_name()
        suite = AcceptedSuite(
            version=name,
            name=iana_name(version, openssl_name),
            openssl_name=openssl_name,
            bits=client.get_current_cipher_bits(),
            key=ephemeral_key(client.get_ephemeral_key()),
        )
        ems: bool | None = None
        if version is TlsVersionEnum.TLS_1_2 and isinstance(client, SslClient):
            support = client.get_extended_master_secret_support()
            if support is not ExtendedMasterSecretSupportEnum.UNKNOWN:
                ems = support is ExtendedMasterSecretSupportEnum.USED_IN_CURRENT_SESSION
        return _VersionResult(name, True, suite, tuple(client.get_received_chain()), ems)
    except ServerRejectedOpportunisticTlsNegotiation as exc:
        # SSLyze's texts: "Server does not support STARTTLS ...", "SMTP STARTTLS rejected:
        # ..."; the others (no 220 greeting, EHLO refused, a timeout) mean no SMTP at all
        if first and "STARTTLS" in exc.error_message:
            raise NoStartTls(exc.error_message) from None
        if first:
            raise Unreachable(exc.error_message) from None
        problem: str | None = exc.error_message
    except TlsHandshakeFailed:
        problem = None  # the version (or every suite we offered with it) refused
    except ConnectionToServerFailed as exc:
        if first:
            raise Unreachable(exc.error_message) from None
        problem = exc.error_message
    except (OpenSSLError, OSError, ClientCertificateRequested):
        problem = None
    finally:
        connection.close()
    return _VersionResult(name, False, problem=problem)


def probe_versions(info: ServerConnectivityInfo, parallel: int = 1) -> VersionProbes:
    """One handshake per version: TLS 1.3 first (it tells whether the server can be
    scanned at all), then the others, `parallel` at a time."""
    names = [name for name, _ in VERSIONS]
    results = [_probe_version(info, names[0], first=True)]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        results += pool.map(lambda name: _probe_version(info, name, first=False), names[1:])
    found = VersionProbes()
    for result in results:  # newest first: the chain of the best handshake wins
        found.versions[result.name] = result.accepted
        if result.suite is not None:
            found.suites.append(result.suite)
        if result.chain_pem and not found.chain_pem:
            found.chain_pem = list(result.chain_pem)
        if result.extended_master_secret is not None:
            found.extended_master_secret = result.extended_master_secret
        if result.problem is not None:
            found.problems.append(f"{result.name}: {result.problem}")
    return found


def _signed_with(info: ServerConnectivityInfo, digest: OpenSslDigestNidEnum | None) -> str | None:
    """Hash name the server signed a TLS 1.2 key exchange with, offered only `digest`
    (None: our default list); None when the handshake failed or used another hash."""
    connection = info.get_preconfigured_tls_connection(
        override_tls_version=TlsVersionEnum.TLS_1_2, should_use_legacy_openssl=False
    )
    client = connection.ssl_client
    client.set_cipher_list(SIGNED_KEY_EXCHANGE)
    if digest is not None and isinstance(client, SslClient):
        client.set_signature_algorithms([(digest, key_type) for key_type in _KEY_TYPES])
    try:
        connection.connect(should_retry_connection=False)
        if not isinstance(client, SslClient):
            return None
        used = client.get_peer_signature_nid()
    except (
        ConnectionToServerFailed,
        OpenSSLError,
        OSError,
        ClientCertificateRequested,
        ValueError,
    ):
        return None
    finally:
        connection.close()
    if digest is not None and used != digest:
        return None  # some servers ignore the client's list and sign with SHA-2 anyway
    return _HASH_NAMES.get(used)


def probe_kex_hash(info: ServerConnectivityInfo) -> str | None:
    """'sha1' or 'sha224' when the server signs with it if that is all we offer,
    'sha256' (or better) when it refuses them, None without a signed TLS 1.2 key exchange."""
    for digest in (OpenSslDigestNidEnum.SHA1, OpenSslDigestNidEnum.SHA224):
        if _signed_with(info, digest) is not None:
            return _HASH_NAMES[digest]
    return "sha256" if _signed_with(info, None) is not None else None


def _chosen(
    info: ServerConnectivityInfo, version: TlsVersionEnum, offered: list[AcceptedSuite]
) -> str | None:
    connection = info.get_preconfigured_tls_connection(
        override_tls_version=version, should_use_legacy_openssl=False
    )
    connection.ssl_client.set_cipher_list(":".join(suite.openssl_name for suite in offered))
    try:
        connection.connect(should_retry_connection=False)
        return connection.ssl_client.get_current_cipher_name()
    except (ConnectionToServerFailed, OpenSSLError, OSError, ClientCertificateRequested):
        return None
    finally:
        connection.close()


def probe_cipher_order(
    info: ServerConnectivityInfo, suites: list[AcceptedSuite]
) -> CipherOrder | None:
    """Offer the accepted suites of the newest version below TLS 1.3 weakest first, then
    strongest first. The server enforces its order when it does not pick our first
    both times; a violation is a choice from a weaker NCSC class than the best accepted.
    None when fewer than two suites can be compared (TLS 1.3's suites are all strong)."""
    for name, version in VERSIONS[1:3]:  # TLS 1.2, else TLS 1.1 (the modern client)
        candidates = [suite for suite in suites if suite.version == name]
        if len(candidates) < 2:
            continue
        weakest_first = sorted(candidates, key=lambda suite: -suite_level(suite.name))
        strongest_first = list(reversed(weakest_first))
        first = _chosen(info, version, weakest_first)
        second = _chosen(info, version, strongest_first)
        if first is None or second is None:
            return None
        enforced = not (
            first == weakest_first[0].openssl_name and second == strongest_first[0].openssl_name
        )
        by_openssl = {suite.openssl_name: suite for suite in candidates}
        picked = by_openssl.get(first)
        best = strongest_first[0]
        violation = None
        if picked is not None and suite_level(picked.name) > suite_level(best.name):
            violation = (picked.name, best.name)
        return CipherOrder(version=name, enforced=enforced, violation=violation)
    return None


def _subject(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        return str(names[0].value)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        dns_names = san.value.get_values_for_type(x509.DNSName)
        if dns_names:
            return dns_names[0]
    except x509.ExtensionNotFound:
        pass
    return certificate.subject.rfc4514_string()


def certificate_facts(pem: str) -> CertificateFacts:
    """Key and signature algorithms of one certificate."""
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    key = certificate.public_key()
    curve: str | None = None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, bits = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, bits, curve = "EC", key.key_size, key.curve.name
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, bits = "Ed25519", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, bits = "Ed448", 456
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, bits = "DSA", key.key_size
    else:
        key_type, bits = type(key).__name__, 0
    oid = certificate.signature_algorithm_oid
    try:
        hash_algorithm = certificate.signature_hash_algorithm
        signature_hash = None if hash_algorithm is None else hash_algorithm.name
    except UnsupportedAlgorithm:  # a hash cryptography does not know
        signature_hash = "unknown"
    return CertificateFacts(
        subject=_subject(certificate),
        key_type=key_type,
        key_bits=bits,
        curve=curve,
        signature_algorithm=str(getattr(oid, "_name", oid.dotted_string)),
        signature_hash=signature_hash,
        self_signed=certificate.issuer == certificate.subject,
    )
