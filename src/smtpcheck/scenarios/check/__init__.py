"""`smtpcheck check`: test every mail exchanger of a domain (or one --server).

- `options`: `CheckOptions`, `CheckExit`;
- `targets`: DNS (or --server) -> the hosts and addresses to test, as report steps;
- `conversation`: what the steps of one address share (session, steps, helpers);
- `address`, `session_steps`: one address from TCP connect to QUIT;
- `run`: concurrency, the overall deadline, the port-25-blocked diagnosis;
- `verdict`: ranked findings, the verdict sentence, the exit code.
"""
