"""The console's user-facing strings, in English and Italian.

Kept here rather than in `knowledge/data/*/messages.toml` so the console can change its
wording without touching the shared catalogue; `msg(key, lang, **fmt)` falls back to
English, like `knowledge.i18n.t`.
"""

from __future__ import annotations

HELP_EN = """\
Console commands (anything else is sent to the server as typed; case does not matter):
  open [--tls] HOST [PORT]   connect (port 25, or 465 with --tls: TLS from the first byte)
  open [--tls] user@domain   look up the domain's MX hosts and connect to the first that answers
  starttls                   STARTTLS, then the TLS handshake and a summary of the certificate
  auth [plain|login|cram-md5]  AUTH: asks for user and password (not echoed) and encodes them
  data                       DATA, then message mode: type the message, end with a line
                             holding a single dot; lines starting with a dot are stuffed
                             for you; Tab on an empty message inserts a header template
  bdat                       the message as one BDAT LAST chunk (when CHUNKING is offered)
  explain [REPLY]            causes and fixes for the last reply (or for a reply you paste)
  raw [TEXT]                 send TEXT exactly, nothing appended; escapes:
                             \\r \\n \\t \\0 \\\\ \\xHH; raw alone: raw until `raw off`
  smtp LINE                  send LINE as typed even if it looks like a console command
  set [NAME [VALUE]]         show or change: explain on|off, logfile FILE, timeout SECONDS,
                             lang en|it, tls-verify on|off, ca-file FILE, sni NAME,
                             dns SERVER, raw-wait SECONDS, localecho (always on)
  unset NAME                 back to the default (unset logfile stops logging)
  status                     connection, TLS, protocol state, extensions offered
  quit                       QUIT to the server (when not connected: leave the console)
  close                      drop the connection without QUIT
  exit, Ctrl-D               leave the console
Markers: -> sent, <- received, ~> <~ under TLS, !-> raw bytes, === note, *** error."""

HELP_IT = """\
Comandi della console (il resto va al server così come è scritto; maiuscole indifferenti):
  open [--tls] HOST [PORTA]  connetti (porta 25, o 465 con --tls: TLS dal primo byte)
  open [--tls] utente@dominio  cerca gli MX del dominio e connetti al primo che risponde
  starttls                   STARTTLS, poi l'handshake TLS e un riepilogo del certificato
  auth [plain|login|cram-md5]  AUTH: chiede utente e password (non mostrata) e li codifica
  data                       DATA, poi modalità messaggio: scrivi il messaggio e chiudi con una
                             riga con un solo punto; alle righe che iniziano con un punto ci
                             pensa la console; Tab su un messaggio vuoto inserisce le intestazioni
  bdat                       il messaggio in un solo blocco BDAT LAST (se il server offre CHUNKING)
  explain [RISPOSTA]         cause e rimedi per l'ultima risposta (o per una risposta incollata)
  raw [TESTO]                invia TESTO esattamente, nulla aggiunto; escape:
                             \\r \\n \\t \\0 \\\\ \\xHH; raw da solo: raw fino a `raw off`
  smtp RIGA                  invia RIGA così com'è anche se sembra un comando della console
  set [NOME [VALORE]]        mostra o cambia: explain on|off, logfile FILE, timeout SECONDI,
                             lang en|it, tls-verify on|off, ca-file FILE, sni NOME,
                             dns SERVER, raw-wait SECONDI, localecho (sempre attivo)
  unset NOME                 torna al valore predefinito (unset logfile ferma il log)
  status                     connessione, TLS, stato del protocollo, estensioni offerte
  quit                       QUIT al server (se non connessi: esce dalla console)
  close                      chiude la connessione senza QUIT
  exit, Ctrl-D               esce dalla console
Indicatori: -> inviato, <- ricevuto, ~> <~ sotto TLS, !-> byte raw, === nota, *** errore."""

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "help": HELP_EN,
        "welcome": "smtpcheck console: type SMTP, or `help`. Tab completes, Ctrl-D leaves.",
        "not_connected": "not connected: use `open HOST [PORT]`",
        "open.already": "already connected to {host}: `quit` or `close` first",
        "open.trying": "Trying {host} port {port}",
        "open.none": "no mail host answered",
        "open.mx": "Looking up the mail hosts of {domain}",
        "open.mx_failed": "cannot find the mail hosts of {domain}: {reason}",
        "closed": "Connection closed",
        "lost": "Disconnected: `open` connects again",
        "timeout.kept": "still connected: a late reply will be shown when it comes",
        "message.data": (
            "Message mode: type the message and end it with a line holding a single dot."
            " Dots at line starts are doubled for you."
        ),
        "message.bdat": "Message mode (BDAT): end with a line holding a single dot.",
        "message.abandoned": (
            "Message abandoned: the only way to stop a DATA transfer is to drop the connection"
        ),
        "message.template_hint": "Tab on an empty message inserts a header template",
        "bdat.not_offered": (
            "the server did not advertise CHUNKING: use `data` (or `raw` to try anyway)"
        ),
        "auth.none_offered": (
            "the server offers no mechanism the helper knows (PLAIN, LOGIN, CRAM-MD5):"
            " send EHLO first, or name one: auth plain"
        ),
        "auth.not_offered": "the server did not advertise {mechanism}; trying anyway",
        "auth.user": "Username: ",
        "auth.password": "Password: ",
        "auth.no_password": (
            "no password: set SMTPCHECK_PASSWORD, or run the console on a terminal"
        ),
        "raw.on": "Raw mode: lines are sent exactly as typed, escapes decoded, nothing"
        " appended (end lines with \\r\\n yourself). `raw off` leaves.",
        "raw.off": "Raw mode off",
        "raw.no_reply": "no reply within {seconds:g} s (the server may be waiting for more)",
        "set.unknown": "unknown setting {name!r} (known: {names})",
        "set.localecho": "local echo is always on here (accepted for telnet habits)",
        "log.started": "Logging the transcript to {path}",
        "log.stopped": "Stopped logging to {path}",
        "log.failed": "cannot write the log file {path}: {reason}",
        "status.connected": "Connected to {host} ({peer})",
        "status.state": "Protocol state: {state}",
        "status.extensions": "Extensions: {keywords}",
        "explain.nothing": "no reply to explain yet",
        "explain.ehlo": "What {host} offers:",
        "interrupted": "Interrupted: the connection is dropped, as its state is unknown",
        "bye": "Bye",
        "unexpected": "unexpected error (please report it): {error}",
        "script.message_skipped": (
            "{command} did not start message mode: the message that follows it in the"
            " script is skipped up to its final dot, not sent as commands"
            " (script lines skipped: {lines})"
        ),
        "script.message_skipped_to_end": (
            "{command} did not start message mode: the rest of the script is its message"
            " (no line holds a single dot), skipped (script lines skipped: {lines})"
        ),
    },
    "it": {
        "help": HELP_IT,
        "welcome": "console smtpcheck: scrivi SMTP, oppure `help`. Tab completa, Ctrl-D esce.",
        "not_connected": "non connesso: usa `open HOST [PORTA]`",
        "open.already": "già connesso a {host}: prima `quit` o `close`",
        "open.trying": "Provo {host} porta {port}",
        "open.none": "nessun server di posta ha risposto",
        "open.mx": "Cerco i server di posta di {domain}",
        "open.mx_failed": "impossibile trovare i server di posta di {domain}: {reason}",
        "closed": "Connessione chiusa",
        "lost": "Disconnesso: `open` per ricollegarsi",
        "timeout.kept": "ancora connesso: una risposta in ritardo sarà mostrata quando arriva",
        "message.data": (
            "Modalità messaggio: scrivi il messaggio e chiudilo con una riga con un solo punto."
            " I punti a inizio riga vengono raddoppiati per te."
        ),
        "message.bdat": "Modalità messaggio (BDAT): chiudi con una riga con un solo punto.",
        "message.abandoned": (
            "Messaggio abbandonato: l'unico modo di interrompere DATA è chiudere la connessione"
        ),
        "message.template_hint": "Tab su un messaggio vuoto inserisce le intestazioni",
        "bdat.not_offered": (
            "il server non annuncia CHUNKING: usa `data` (o `raw` per provare comunque)"
        ),
        "auth.none_offered": (
            "il server non offre meccanismi noti all'assistente (PLAIN, LOGIN, CRAM-MD5):"
            " invia prima EHLO, o indicane uno: auth plain"
        ),
        "auth.not_offered": "il server non annuncia {mechanism}; provo comunque",
        "auth.user": "Utente: ",
        "auth.password": "Password: ",
        "auth.no_password": (
            "nessuna password: imposta SMTPCHECK_PASSWORD, o usa la console da un terminale"
        ),
        "raw.on": "Modalità raw: le righe partono esattamente come scritte, escape decodificati,"
        " nulla aggiunto (chiudi le righe con \\r\\n). `raw off` per uscire.",
        "raw.off": "Modalità raw disattivata",
        "raw.no_reply": "nessuna risposta entro {seconds:g} s (il server forse attende altro)",
        "set.unknown": "impostazione sconosciuta {name!r} (note: {names})",
        "set.localecho": "l'eco locale qui è sempre attivo (accettato per abitudine da telnet)",
        "log.started": "Registro la trascrizione in {path}",
        "log.stopped": "Registrazione in {path} terminata",
        "log.failed": "impossibile scrivere il file di log {path}: {reason}",
        "status.connected": "Connesso a {host} ({peer})",
        "status.state": "Stato del protocollo: {state}",
        "status.extensions": "Estensioni: {keywords}",
        "explain.nothing": "ancora nessuna risposta da spiegare",
        "explain.ehlo": "Cosa offre {host}:",
        "interrupted": "Interrotto: la connessione viene chiusa, il suo stato è incerto",
        "bye": "Ciao",
        "unexpected": "errore imprevisto (per favore segnalalo): {error}",
        "script.message_skipped": (
            "{command} non ha avviato la modalità messaggio: il messaggio che lo segue nello"
            " script viene saltato fino al punto finale, non inviato come comandi"
            " (righe dello script saltate: {lines})"
        ),
        "script.message_skipped_to_end": (
            "{command} non ha avviato la modalità messaggio: il resto dello script è il suo"
            " messaggio (nessuna riga con un solo punto), saltato"
            " (righe dello script saltate: {lines})"
        ),
    },
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "tls": "TLS",
        "subject": "Certificate subject",
        "names": "Names",
        "issuer": "Issuer",
        "expires": "Expires",
        "verified": "Certificate verified: trusted chain, name matches",
        "not_verified": "Certificate NOT verified",
        "causes": "Likely causes:",
        "fixes": "What to check or change:",
    },
    "it": {
        "tls": "TLS",
        "subject": "Soggetto del certificato",
        "names": "Nomi",
        "issuer": "Emittente",
        "expires": "Scade",
        "verified": "Certificato verificato: catena fidata, il nome corrisponde",
        "not_verified": "Certificato NON verificato",
        "causes": "Cause probabili:",
        "fixes": "Cosa controllare o cambiare:",
    },
}


def msg(key: str, lang: str = "en", **fmt: object) -> str:
    """The message `key` in `lang` (English when missing), formatted with `fmt`."""
    text = MESSAGES.get(lang, {}).get(key) or MESSAGES["en"][key]
    return text.format(**fmt) if fmt else text


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])
