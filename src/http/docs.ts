// A small human page at /docs: the routes and a curl example.

export function docsPage(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Tern HTTP API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:.1rem .3rem}pre{padding:.8rem;overflow:auto}</style>
</head><body><h1>Tern HTTP API</h1>
<p>Authenticate with an API key: <code>Authorization: Bearer &lt;key&gt;</code> (create one with <code>tern apikey add NAME</code>).
Bodies are JSON or <code>application/msgpack</code>. The machine-readable description is <a href="/openapi.json">/openapi.json</a>.</p>
<table><tr><th>route</th><th>what</th></tr>
<tr><td><code>POST /v1/messages</code></td><td>one message: <code>{from, to[], cc[], bcc[], replyTo, subject, text, html, headers, attachments[{filename, contentType, content}]}</code> or <code>{from, to[], raw}</code>; 202 with the queue id once it is on disk</td></tr>
<tr><td><code>POST /v1/messages/batch</code></td><td>a template (<code>subject/text/html</code> with <code>{{name}}</code>) and up to 1,000 <code>recipients[{to, substitutions}]</code>; all or nothing</td></tr>
<tr><td><code>GET /v1/messages/:id</code></td><td>status per recipient and event history</td></tr>
<tr><td><code>GET /v1/queue</code>, <code>POST /v1/queue/:destination/suspend|resume|flush</code></td><td>queue per destination</td></tr>
<tr><td><code>GET/POST/DELETE /v1/suppressions</code></td><td>addresses never sent to</td></tr>
<tr><td><code>GET /metrics</code>, <code>GET /healthz</code></td><td>Prometheus text; liveness</td></tr></table>
<pre>curl -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \\
  -d '{"from":"app@example.com","to":["user@example.net"],"subject":"Hi","text":"Hello"}' \\
  http://127.0.0.1:8025/v1/messages</pre></body></html>`;
}
