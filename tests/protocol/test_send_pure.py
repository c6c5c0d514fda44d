"""Pure pieces `send` builds on: MD4, NTLMv2 (MS-NLMP 4.2.4 vectors), PROXY, SASL."""

from __future__ import annotations

import base64

from smtpcheck.protocol import ntlm, proxy, sasl


def test_md4_rfc1320_vectors():
    assert ntlm.md4(b"").hex() == "31d6cfe0d16ae931b73c59d7e0c089c0"
    assert ntlm.md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    assert ntlm.md4(b"1234567890" * 8).hex() == "e33b4ddc9c38f2199c3e7b164fcc0536"


def test_ntlmv2_ms_nlmp_vectors():
    info = bytes.fromhex("02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000")
    lm, nt = ntlm.ntlmv2_responses(
        "User",
        "Password",
        "Domain",
        bytes.fromhex("0123456789abcdef"),
        info,
        b"\xaa" * 8,
        b"\0" * 8,
    )
    assert nt[:16].hex() == "68cd0ab851e51c96aabc927bebef6a1c"
    assert lm[:16].hex() == "86c35097ac9cec102554764a57cccc19"


def test_proxy_headers():
    assert proxy.v1_header("192.0.2.1", 4000, "192.0.2.2", 25) == (
        b"PROXY TCP4 192.0.2.1 192.0.2.2 4000 25\r\n"
    )
    v2 = proxy.v2_header("::1", 1, "::2", 2)
    assert v2.startswith(proxy.V2_SIGNATURE + b"\x21\x21\x00\x24")
    assert proxy.parse_raw("base64:" + base64.b64encode(b"PROXY UNKNOWN\r\n").decode()) == (
        b"PROXY UNKNOWN\r\n"
    )


def test_digest_md5_rfc2831_example():
    creds = sasl.Credentials("chris", "secret")
    ctx = sasl.SaslContext(host="elwood.innosoft.com", service="imap")
    client = sasl.DigestMd5Client(creds, ctx, cnonce="OA6MHXh6VqTrRk")
    challenge = base64.b64encode(
        b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",'
        b"algorithm=md5-sess,charset=utf-8"
    ).decode()
    answer = base64.b64decode(client.respond(challenge)).decode()
    assert "response=d388dad90d4bbd760a152321f2143af7" in answer  # RFC 2831 section 4


def test_oauthbearer_initial_response():
    creds = sasl.Credentials("user@example.com", "vF9dft4qmT")
    ctx = sasl.SaslContext(host="server.example.com", port=143)
    text = base64.b64decode(sasl.OAuthBearerClient(creds, ctx).initial() or "")
    assert text == (  # RFC 7628 section 4.1
        b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
        b"auth=Bearer vF9dft4qmT\x01\x01"
    )
