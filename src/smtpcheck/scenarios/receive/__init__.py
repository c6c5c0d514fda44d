"""`smtpcheck receive`: grade the mail a server sends (issue 13).

- `analyse.analyse_message(raw, session, options)`: one message and its session -> a Report.
- `headers.facts_from_headers`: the session read back from Received/Return-Path.
- `listen.ReceiveListener`: the capture server (`smtpcheck.sink`) with an analysis of
  every message it commits.
- `outbound.probe_outbound`: can this machine reach port 25 of a host the user names.
"""
