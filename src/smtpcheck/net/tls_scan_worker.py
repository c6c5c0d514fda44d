"""The TLS-quality scan worker: `python -m smtpcheck.net.tls_scan_worker`.

Reads one JSON request on standard input (see `net.tls_scan.ScanRequest.to_json`),
scans every address at once (one thread each; SSLyze is synchronous), and writes one
JSON line per address and stage to standard output: `{"index": i, "final": false,
"facts": {...}}` after the version probes, then the final facts. The parent process
owns the deadline and kills this process when it strikes, keeping the last line of
each address.

This is the only module that imports SSLyze (and, through the probes, nassl): it runs
in its own process so that the main program never pays for those imports, and so that
a scan that overruns can be stopped outright.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TextIO

from sslyze.connection_helpers.opportunistic_tls_helpers import ProtocolWithOpportunisticTlsEnum
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.plugins.session_renegotiation_plugin import SessionRenegotiationExtraArgument
from sslyze.scanner.models import (
    ScanCommandsExtraArguments,
    ServerScanRequest,
    ServerScanStatusEnum,
)
from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum
from sslyze.scanner.scanner import Scanner
from sslyze.server_connectivity import ServerConnectivityInfo
from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

from smtpcheck.net import tls_scan_probes as probes
from smtpcheck.net.tls_scan_model import (
    AcceptedSuite,
    ScanOutcome,
    ScanTarget,
    TlsScanFacts,
)

#: SSLyze scan commands of the quick scan: one or two connections each
QUICK_COMMANDS = frozenset(
    {
        ScanCommand.TLS_COMPRESSION,
        ScanCommand.SESSION_RENEGOTIATION,
        ScanCommand.HEARTBLEED,
        ScanCommand.OPENSSL_CCS_INJECTION,
        ScanCommand.TLS_FALLBACK_SCSV,
    }
)
#: added by the full scan: many connections each
FULL_COMMANDS = frozenset({ScanCommand.ELLIPTIC_CURVES, ScanCommand.ROBOT})
SUITE_COMMANDS = {
    "SSLv2": ScanCommand.SSL_2_0_CIPHER_SUITES,
    "SSLv3": ScanCommand.SSL_3_0_CIPHER_SUITES,
    "TLSv1.0": ScanCommand.TLS_1_0_CIPHER_SUITES,
    "TLSv1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
    "TLSv1.2": ScanCommand.TLS_1_2_CIPHER_SUITES,
    "TLSv1.3": ScanCommand.TLS_1_3_CIPHER_SUITES,
}
#: SSLyze's RobotScanResultEnum values, and ours
ROBOT_NAMES = {
    "VULNERABLE_STRONG_ORACLE": "vulnerable-strong",
    "VULNERABLE_WEAK_ORACLE": "vulnerable-weak",
    "NOT_VULNERABLE_NO_ORACLE": "not-vulnerable",
    "NOT_VULNERABLE_RSA_NOT_SUPPORTED": "no-rsa",
    "UNKNOWN_INCONSISTENT_RESULTS": "inconsistent",
}
#: scan commands whose result is one attribute: the fact it fills, and the attribute
SIMPLE_RESULTS = {
    ScanCommand.TLS_COMPRESSION: ("compression", "supports_compression"),
    ScanCommand.TLS_1_3_EARLY_DATA: ("early_data", "supports_early_data"),
    ScanCommand.HEARTBLEED: ("heartbleed", "is_vulnerable_to_heartbleed"),
    ScanCommand.OPENSSL_CCS_INJECTION: ("ccs_injection", "is_vulnerable_to_ccs_injection"),
    ScanCommand.TLS_FALLBACK_SCSV: ("fallback_scsv", "supports_fallback_scsv"),
}
#: client-initiated renegotiations tried: one accepted is enough to tell
RENEGOTIATION_ATTEMPTS = 2


class Emitter:
    """Writes result lines; one lock, since every address has its own thread."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def emit(self, index: int, facts: TlsScanFacts, *, final: bool) -> None:
        line = json.dumps({"index": index, "final": final, "facts": facts.to_dict()})
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


def enumerated_versions(accepted: tuple[str, ...]) -> tuple[str, ...]:
    """The versions whose every suite a full scan tries: TLS 1.3 and the newest below it.

    Suites that only an older version offers change no verdict (that version fails by
    itself, and turning it off removes them) but cost a connection each.
    """
    older = [version for version in accepted if version != "TLSv1.3"]
    chosen = ([older[-1]] if older else []) + (["TLSv1.3"] if "TLSv1.3" in accepted else [])
    return tuple(chosen)


def _parallel(request: dict[str, Any]) -> int:
    """Connections open at once to one address (mail servers limit them per client)."""
    return max(1, int(request.get("connections_per_address", 5)))


def _network(target: ScanTarget, request: dict[str, Any]) -> ServerNetworkConfiguration:
    starttls = None if target.implicit_tls else ProtocolWithOpportunisticTlsEnum.SMTP
    return ServerNetworkConfiguration(
        tls_server_name_indication=target.host,
        tls_opportunistic_encryption=starttls,
        smtp_ehlo_hostname=None if target.implicit_tls else str(request["ehlo"]),
        # SSLyze takes whole seconds; one try: the caller's deadline allows no retries
        network_timeout=max(1, math.ceil(float(request["connection_timeout"]))),
        network_max_retries=1,
    )


def _planned_commands(facts: TlsScanFacts) -> set[ScanCommand]:
    """SSLyze's commands for this scan: the quick set, more for a full scan."""
    accepted = facts.accepted_versions
    commands = set(QUICK_COMMANDS)
    if "TLSv1.3" in accepted:
        commands.add(ScanCommand.TLS_1_3_EARLY_DATA)
    if not facts.quick:
        commands |= FULL_COMMANDS
        commands |= {SUITE_COMMANDS[version] for version in enumerated_versions(accepted)}
    return commands


def _run_sslyze(
    info: ServerConnectivityInfo, commands: set[ScanCommand], request: dict[str, Any]
) -> Any:
    """SSLyze's AllScanCommandsAttempts for one server, or None without a connection."""
    scan = ServerScanRequest(
        server_location=info.server_location,
        network_configuration=info.network_configuration,
        scan_commands=commands,
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            session_renegotiation=SessionRenegotiationExtraArgument(
                client_renegotiation_attempts=RENEGOTIATION_ATTEMPTS
            )
        ),
    )
    scanner = Scanner(
        per_server_concurrent_connections_limit=_parallel(request), concurrent_server_scans_limit=1
    )
    scanner.queue_scans([scan])
    (result,) = list(scanner.get_results())  # to the end: SSLyze joins its threads there
    if result.scan_status is not ServerScanStatusEnum.COMPLETED:
        return None
    return result.scan_result


def _fold(facts: TlsScanFacts, scan_result: Any, commands: set[ScanCommand]) -> TlsScanFacts:
    """`facts` with the results of SSLyze's commands; a command that failed is an error."""
    errors = list(facts.errors)
    changes: dict[str, Any] = {}

    def completed(command: ScanCommand) -> Any:
        if command not in commands:
            return None
        attempt = getattr(scan_result, command.value)
        if attempt.status is ScanCommandAttemptStatusEnum.COMPLETED:
            return attempt.result
        reason = attempt.error_reason.value if attempt.error_reason else "not completed"
        errors.append(f"{command.value}: {reason.lower().replace('_', ' ')}")
        return None

    if not facts.quick:
        suites: list[AcceptedSuite] = []
        complete = True
        for version in enumerated_versions(facts.accepted_versions):
            suite_result = completed(SUITE_COMMANDS[version])
            if suite_result is None:
                complete = False
                continue
            suites += [
                _suite(version, accepted) for accepted in suite_result.accepted_cipher_suites
            ]
        if suites:
            changes["suites"] = tuple(suites)
        changes["suites_complete"] = complete and bool(suites)
        curves = completed(ScanCommand.ELLIPTIC_CURVES)
        if curves is not None:
            supported = curves.supported_curves if curves.supports_ecdh_key_exchange else []
            changes["groups"] = tuple(curve.name for curve in supported)
        robot = completed(ScanCommand.ROBOT)
        if robot is not None:
            value = str(robot.robot_result.value)
            changes["robot"] = ROBOT_NAMES.get(value, value.lower())
    for command, (fact, attribute) in SIMPLE_RESULTS.items():
        result = completed(command)
        if result is not None:
            changes[fact] = getattr(result, attribute)
    renegotiation = completed(ScanCommand.SESSION_RENEGOTIATION)
    if renegotiation is not None:
        changes["secure_renegotiation"] = renegotiation.supports_secure_renegotiation
        changes["client_renegotiation"] = renegotiation.client_renegotiations_success_count > 0
    return replace(facts, errors=tuple(errors), **changes)


def _suite(version: str, accepted: Any) -> AcceptedSuite:
    """Our form of SSLyze's CipherSuiteAcceptedByServer."""
    suite = accepted.cipher_suite
    return AcceptedSuite(
        version=version,
        name=suite.name,
        openssl_name=suite.openssl_name,
        bits=suite.key_size,
        key=probes.ephemeral_key(accepted.ephemeral_key),
    )


def _sslyze_commands(
    facts: TlsScanFacts, info: ServerConnectivityInfo, request: dict[str, Any]
) -> TlsScanFacts:
    """Run SSLyze's own scan commands and fold their results into `facts`."""
    commands = _planned_commands(facts)
    scan_result = _run_sslyze(info, commands, request)
    if scan_result is None:
        return replace(facts, errors=(*facts.errors, "sslyze: no connection for its scans"))
    return _fold(facts, scan_result, commands)


def scan_one(index: int, target: ScanTarget, request: dict[str, Any], out: Emitter) -> None:
    """Scan one address, emitting the facts after the version probes and at the end."""
    started = time.monotonic()
    quick = bool(request.get("quick", False))

    def elapsed() -> float:
        return (time.monotonic() - started) * 1000

    facts = TlsScanFacts(target=target, outcome=ScanOutcome.INCOMPLETE, quick=quick)
    try:
        location = ServerNetworkLocation(
            hostname=target.host, port=target.port, ip_address=target.ip
        )
        info = ServerConnectivityInfo(
            server_location=location,
            network_configuration=_network(target, request),
            tls_probing_result=probes.PLACEHOLDER_PROBING,
        )
        found = probes.probe_versions(info, _parallel(request))
        if not any(found.versions.values()):
            facts = replace(
                facts, outcome=ScanOutcome.NO_TLS, versions=found.versions, elapsed_ms=elapsed()
            )
            out.emit(index, facts, final=True)
            return
        certificates = []
        facts = replace(facts, errors=tuple(found.problems))
        for pem in found.chain_pem:
            try:
                certificates.append(probes.certificate_facts(pem))
            except ValueError as exc:
                facts = replace(facts, errors=(*facts.errors, f"certificate: {exc}"))
        facts = replace(
            facts,
            versions=found.versions,
            suites=tuple(found.suites),
            extended_master_secret=found.extended_master_secret,
            certificates=tuple(certificates),
            elapsed_ms=elapsed(),
        )
        out.emit(index, facts, final=False)
        with ThreadPoolExecutor(max_workers=1) as side:
            # its one to three handshakes need not wait for SSLyze's
            kex_hash = (
                side.submit(probes.probe_kex_hash, info) if found.versions.get("TLSv1.2") else None
            )
            facts = _sslyze_commands(facts, info, request)
            if kex_hash is not None:
                facts = replace(facts, kex_hash=kex_hash.result())
        if not quick and facts.suites_complete:
            facts = replace(facts, cipher_order=probes.probe_cipher_order(info, list(facts.suites)))
        facts = replace(facts, outcome=ScanOutcome.SCANNED, detail=None)
    except probes.NoStartTls as exc:
        facts = replace(facts, outcome=ScanOutcome.NO_STARTTLS, detail=str(exc))
    except probes.Unreachable as exc:
        facts = replace(facts, outcome=ScanOutcome.UNREACHABLE, detail=str(exc))
    except Exception as exc:  # a scanner bug must not lose the other addresses' results
        facts = replace(facts, outcome=ScanOutcome.ERROR, detail=f"{type(exc).__name__}: {exc}")
    out.emit(index, replace(facts, elapsed_ms=elapsed()), final=True)


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    warnings.simplefilter("ignore")  # library deprecation notes are not scan results
    request = json.loads(stdin.read())
    targets = [ScanTarget(**target) for target in request["targets"]]
    emitter = Emitter(stdout)
    with ThreadPoolExecutor(max_workers=max(1, len(targets))) as pool:
        for index, target in enumerate(targets):
            pool.submit(scan_one, index, target, request, emitter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
