// The live page of a running check: the step tree redrawn from each Server-Sent Event.
// Text goes in with textContent only (never as markup): it came from servers.
"use strict";
(function () {
  const tree = document.getElementById("live-tree");
  if (!tree) {
    return;
  }
  const texts = JSON.parse(tree.dataset.texts || "{}");
  const status = document.getElementById("live-status");

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function draw(steps, parent) {
    for (const step of steps) {
      const box = element("div", "step live");
      box.dataset.name = step.name || "";
      box.dataset.status = step.status || "info";
      const line = element("div", "line");
      line.append(element("span", "badge s-" + (step.status || "info"), (step.status || "").toUpperCase()));
      line.append(" ", element("span", "title", step.title));
      if (step.line) {
        line.append(" ", element("code", "reply", step.line));
      } else if (step.detail) {
        line.append(" ", element("span", "dim", step.detail));
      }
      box.append(line);
      if (step.problems && step.problems.length) {
        const list = element("ul", "findings");
        for (const problem of step.problems) {
          list.append(element("li", "", problem));
        }
        box.append(list);
      }
      if (step.children && step.children.length) {
        const children = element("div", "children");
        draw(step.children, children);
        box.append(children);
      }
      parent.append(box);
    }
  }

  const source = new EventSource("/api/checks/" + encodeURIComponent(tree.dataset.check) + "/events");
  source.addEventListener("progress", function (event) {
    const data = JSON.parse(event.data);
    const fresh = document.createDocumentFragment();
    draw(data.steps || [], fresh);
    tree.replaceChildren(fresh);
    const count = tree.querySelectorAll(".step").length;
    // a text with plural forms ({one, other}: knowledge/i18n.py); "one" is for 1 in en and it
    const entry = texts.steps_so_far || "{count}";
    const form = typeof entry === "string" ? entry : (count === 1 ? entry.one : entry.other);
    status.textContent = form.replace("{count}", String(count));
  });
  source.addEventListener("done", function (event) {
    source.close();
    const data = JSON.parse(event.data);
    status.textContent = texts.done || "";
    window.location.replace(data.url);
  });
  source.addEventListener("error", function () {
    status.textContent = texts.reconnecting || "";
  });
})();
