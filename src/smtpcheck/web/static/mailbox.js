// The mailbox list: new messages appear as the sink stores them (Server-Sent Events).
// Text goes in with textContent only (never as markup): it came from the senders.
"use strict";
(function () {
  const table = document.getElementById("messages");
  if (!table) {
    return;
  }
  const texts = JSON.parse(table.dataset.texts || "{}");
  const words = (table.dataset.query || "").toLowerCase().split(/\s+/).filter(Boolean);
  const body = table.querySelector("tbody");
  const empty = document.getElementById("mailbox-empty");
  const status = document.getElementById("mailbox-status");

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function matches(message) {
    const haystack = [message.mail_from, message.subject, message.from_header, message.to_header,
      message.id].concat(message.recipients || []).join(" ").toLowerCase();
    return words.every(function (word) { return haystack.includes(word); });
  }

  function add(message) {
    if (!matches(message) || body.querySelector('tr[data-id="' + CSS.escape(message.id) + '"]')) {
      return;
    }
    const row = document.createElement("tr");
    row.className = "message new";
    row.dataset.id = message.id;
    const when = new Date(message.received_at * 1000);
    row.append(cell(when.toLocaleString()), cell(message.mail_from || "<>"),
      cell((message.recipients || []).join(", ")));
    const subject = document.createElement("td");
    const link = document.createElement("a");
    link.href = "/mailbox/" + encodeURIComponent(message.id);
    link.textContent = message.subject || texts.no_subject || "";
    subject.append(link);
    if (message.anomalies && message.anomalies.length) {
      const badge = document.createElement("span");
      badge.className = "badge s-warn";
      badge.textContent = "!";
      subject.append(" ", badge);
    }
    row.append(subject, cell(String(message.size)));
    body.prepend(row);
    empty.hidden = true;
  }

  const source = new EventSource("/api/messages/events");
  source.addEventListener("open", function () {
    status.textContent = texts.mailbox_live || "";
  });
  source.addEventListener("message", function (event) {
    add(JSON.parse(event.data));
  });
  source.addEventListener("error", function () {
    status.textContent = texts.reconnecting || "";
  });
})();
