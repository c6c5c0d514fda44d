"""The Italian is written in one register and with one term per concept.

Register: the impersonal one of Italian technical documentation, already used by the
posture and receive catalogues: what to do is said with the infinitive ("Verificare
l'indirizzo"), never "tu" (`check` said "Controlla") nor "voi" (`explain` and `send` said
"Verificate"). Terms: the glossary in docs/italian.md, checked here for the concepts
that had two names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue_texts import language_texts, texts
from smtpcheck.knowledge import _data

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "italian.md"

_SECOND_PERSON = {"tu", "te", "ti", "tuo", "tua", "tuoi", "tue", "voi", "vostro", "vostra",
                  "vostri", "vostre"}  # fmt: skip
# An imperative with an attached pronoun is second person whatever its verb
# ("Autenticatevi", "segnalatelo", "Assicurati", "Rinnovalo").
_CLITIC_IMPERATIVE = re.compile(
    r"\b[A-Za-zàèéìòù]+(?:ate|ete|ite)(?:vi|lo|la|li|le|ne|telo)\b"
    r"|\b(?:Assicurati|Rinnovalo|Toglilo|Mettilo|Indicala|Segnalalo)\b"
)
# Sentence openers that are second-person imperatives (singular and plural) of the verbs
# the fixes use; capitalised, so not the participles ("email inviate").
_IMPERATIVES = re.compile(
    r"(?:^|[.;:!?]\s+)(?:Controlla|Controllate|Verifica|Verificate|Usa|Usate|Pubblica|"
    r"Pubblicate|Aggiungi|Aggiungete|Rimuovi|Rimuovete|Imposta|Impostate|Leggi|Leggete|"
    r"Chiedi|Chiedete|Esegui|Eseguite|Avvia|Avviate|Rinnova|Rinnovate|Configura|"
    r"Configurate|Correggi|Correggete|Prova|Provate|Abilita|Abilitate|Disabilita|"
    r"Disabilitate|Crea|Create|Fai|Fate|Dai|Date|Aumenta|Aumentate|Sostituisci|"
    r"Sostituite|Ripeti|Ripetete|Rifiuta|Rifiutate|Attendi|Attendete|Invia|Inviate|"
    r"Riprova|Riprovate|Cerca|Cercate)\b"
)
_INFINITIVE = re.compile(r"(?:ar|er|ir|rr)(?:e|si|lo|la|li|le|ne|gli)$|^Far$")
# What else may open a fix: conditions and descriptions, not orders.
_OPENERS = {
    "Se", "Per", "Sul", "Un", "Una", "Nulla", "Dopo", "Il", "La", "I", "Non", "Prima",
    "Molte", "Molti", "Nell'applicazione", "Oppure", "Con", "Di", "Facoltativo", "Nessuna",
    "Risoluzione", "Va", "Quando", "Perché", "Anche",
}  # fmt: skip


def _italian() -> Iterator[tuple[str, tuple[str, ...], str]]:
    return language_texts("it")


@pytest.mark.parametrize("name", _data.LANGUAGE_FILES)
def test_no_second_person(name: str) -> None:
    for path, text in texts(_data.language_file("it", name)):
        where = f"it/{name}.toml {'.'.join(path)}"
        unquoted = re.sub(r'"[^"]*"', " ", text)  # an example ("Tue, 13 Feb") is no speech
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", unquoted)}
        assert not words & _SECOND_PERSON, f"{where}: {text}"
        assert not _CLITIC_IMPERATIVE.search(unquoted), f"{where}: {text}"


@pytest.mark.parametrize("name", _data.LANGUAGE_FILES)
def test_no_second_person_imperative_in_what_to_do(name: str) -> None:
    for path, text in texts(_data.language_file("it", name)):
        if path and path[-1] in ("fix", "fixes", "advice"):
            assert not _IMPERATIVES.search(text), f"it/{name}.toml {'.'.join(path)}: {text}"


def _fixes() -> Iterator[tuple[str, str]]:
    for name, path, text in _italian():
        if path and path[-1] in ("fix", "fixes", "advice") and not text.startswith("{"):
            if "{fix}" in text or text.startswith("Cosa "):
                continue  # a label around a fix ("Cosa fare: {fix}"), not a fix
            yield f"it/{name}.toml {'.'.join(path)}", text


@pytest.mark.parametrize(("where", "text"), list(_fixes()))
def test_fixes_open_with_an_infinitive(where: str, text: str) -> None:
    first = text.split()[0].strip(",:")
    assert first in _OPENERS or _INFINITIVE.search(first), f"{where}: {text}"


# Concepts that had two Italian names, and the one kept (docs/italian.md lists them all).
ONE_TERM = [
    ("exit code", r"(?<!codice di )\buscita \{code\}", "codice di uscita"),
    ("enhanced status code", r"\b[Cc]odice esteso\b", "codice di stato esteso"),
    ("relay", r"\b[Ii]noltro negato\b|\bautorizzat\w+ all'inoltro\b", "relay"),
    ("what to change", r"Cosa controllare o cambiare", "Cosa controllare o modificare"),
    ("null MX", r"\bnull MX\b", "MX nullo"),
    ("banner", r"\bSaluto \(banner\)", "banner (saluto iniziale)"),
    ("delivery", r"(?<!mancato )\b[Rr]ecapit\w*", "consegna"),
]


@pytest.mark.parametrize(("concept", "banned", "kept"), ONE_TERM)
def test_one_term_per_concept(concept: str, banned: str, kept: str) -> None:
    pattern = re.compile(banned)
    for name, path, text in _italian():
        assert not pattern.search(text), f"{concept}: it/{name}.toml {'.'.join(path)}: {text}"
    glossary = GLOSSARY.read_text(encoding="utf-8").lower()
    assert kept.lower() in glossary, f"docs/italian.md lacks {kept!r}"
