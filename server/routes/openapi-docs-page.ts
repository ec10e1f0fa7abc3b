/**
 * The API docs page: a static HTML shell, a stylesheet and a small script that fetches /api/v1/openapi.json and
 * renders every operation with its parameters, bodies and answers. Everything comes from this server (CSP
 * `script-src 'self'`, no CDN, no inline script), and the script writes only text nodes, never HTML.
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference · analytics-dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/api/v1/docs/docs.css">
<script src="/api/v1/docs/docs.js" defer></script>
</head>
<body>
<header><h1>API reference</h1><p>Generated from <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></header>
<main id="docs"><p>Loading…</p></main>
</body>
</html>
`;

export const DOCS_CSS = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1c1f24; background: #fafafa; }
header, main { max-width: 960px; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; }
section.op { background: #fff; border: 1px solid #dde1e6; border-radius: 8px; margin: 1rem 0; padding: 1rem 1.25rem; }
.method { display: inline-block; font-weight: 700; text-transform: uppercase; padding: 0 .5rem; border-radius: 4px; margin-right: .5rem; color: #fff; background: #2f6fdb; }
.method.post { background: #1f8a4c; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
pre { background: #f3f4f6; padding: .75rem; border-radius: 6px; overflow: auto; max-height: 28rem; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #eceef1; vertical-align: top; }
details { margin: .5rem 0; }
`;

export const DOCS_SCRIPT = `"use strict";
(function () {
  var root = document.getElementById("docs");
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function resolve(doc, schema) {
    if (schema && schema.$ref) {
      var name = schema.$ref.split("/").pop();
      return { name: name, schema: doc.components.schemas[name] };
    }
    return { name: null, schema: schema };
  }
  function schemaBlock(doc, title, schema) {
    var resolved = resolve(doc, schema);
    var details = el("details");
    details.appendChild(el("summary", title + (resolved.name ? " — " + resolved.name : "")));
    details.appendChild(el("pre", JSON.stringify(resolved.schema, null, 2)));
    return details;
  }
  function render(doc) {
    root.textContent = "";
    root.appendChild(el("p", doc.info.description));
    Object.keys(doc.paths).forEach(function (path) {
      var item = doc.paths[path];
      Object.keys(item).forEach(function (method) {
        var op = item[method];
        var section = el("section", null, "op");
        var title = el("h2");
        title.appendChild(el("span", method, "method " + method));
        title.appendChild(el("code", path));
        section.appendChild(title);
        if (op.summary) section.appendChild(el("p", op.summary));
        if (op.description) section.appendChild(el("p", op.description));
        if (op.requestBody) {
          Object.keys(op.requestBody.content).forEach(function (type) {
            section.appendChild(schemaBlock(doc, "Request body (" + type + ")", op.requestBody.content[type].schema));
          });
        }
        var table = el("table");
        var head = el("tr");
        head.appendChild(el("th", "Status"));
        head.appendChild(el("th", "Meaning"));
        table.appendChild(head);
        Object.keys(op.responses).forEach(function (status) {
          var response = op.responses[status];
          var row = el("tr");
          row.appendChild(el("td", status));
          var cell = el("td", response.description);
          if (response.headers) cell.appendChild(el("div", "Headers: " + Object.keys(response.headers).join(", ")));
          if (response.content) {
            Object.keys(response.content).forEach(function (type) {
              cell.appendChild(schemaBlock(doc, type, response.content[type].schema));
            });
          }
          row.appendChild(cell);
          table.appendChild(row);
        });
        section.appendChild(el("h3", "Responses"));
        section.appendChild(table);
        root.appendChild(section);
      });
    });
    var schemas = el("section", null, "op");
    schemas.appendChild(el("h2", "Schemas"));
    Object.keys(doc.components.schemas).forEach(function (name) {
      schemas.appendChild(schemaBlock(doc, name, doc.components.schemas[name]));
    });
    root.appendChild(schemas);
  }
  fetch("/api/v1/openapi.json")
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(render)
    .catch(function (error) {
      root.textContent = "";
      root.appendChild(el("p", "Could not load the API description: " + error.message));
    });
})();
`;
