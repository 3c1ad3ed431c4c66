/** /docs/ws: connect to /ws from a browser with a pasted token and watch events arrive. */
export const WS_TESTER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Realtime tester</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; padding: 0 1rem; color: #1f2328; }
  label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
  textarea, input { width: 100%; box-sizing: border-box; font: 13px ui-monospace, monospace; padding: .4rem; }
  button { margin: .6rem .4rem 0 0; padding: .4rem .9rem; cursor: pointer; }
  #status { margin-left: .5rem; font-weight: 600; }
  #log { margin-top: 1rem; border: 1px solid #d0d7de; border-radius: 6px; height: 50vh; overflow: auto; padding: .5rem;
         background: #f6f8fa; }
  .entry { border-bottom: 1px solid #e5e7eb; padding: .3rem 0; white-space: pre-wrap; font: 12px ui-monospace, monospace; }
  .type { font-weight: 700; color: #0969da; }
</style>
</head>
<body>
<h1>Realtime tester</h1>
<p>Paste an access token (from <code>POST /api/auth/login</code> in <a href="/docs">the API docs</a>), connect, and
trigger changes through the API: every event of your organisation appears below. The token travels in the
<code>Sec-WebSocket-Protocol</code> header, never in the URL.</p>
<label for="token">Access token</label>
<textarea id="token" rows="3" placeholder="eyJhbGciOiJIUzI1NiIs…"></textarea>
<label for="since">Resume after activity id (optional)</label>
<input id="since" placeholder="e.g. 1042">
<div>
  <button id="connect">Connect</button>
  <button id="disconnect" disabled>Disconnect</button>
  <button id="ping" disabled>Send PING</button>
  <button id="clear">Clear</button>
  <span id="status">disconnected</span>
</div>
<div id="log" aria-live="polite"></div>
<script src="/docs/ws.js"></script>
</body>
</html>`;

/** Its script, served as a file so that the page's policy allows no inline script. */
export const WS_TESTER_SCRIPT = `const $ = (id) => document.getElementById(id);
let socket;
const setConnected = (connected, text) => {
  $("status").textContent = text;
  $("connect").disabled = connected;
  $("disconnect").disabled = !connected;
  $("ping").disabled = !connected;
};
const log = (type, body) => {
  const entry = document.createElement("div");
  entry.className = "entry";
  const label = document.createElement("span");
  label.className = "type";
  label.textContent = type;
  entry.append(label, " " + body);
  $("log").prepend(entry);
};
$("connect").onclick = () => {
  const token = $("token").value.trim();
  if (!token) return log("ERROR", "paste an access token first");
  const url = new URL("/ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  if ($("since").value.trim()) url.searchParams.set("since", $("since").value.trim());
  socket = new WebSocket(url, ["bearer", token]);
  setConnected(true, "connecting…");
  socket.onopen = () => setConnected(true, "connected");
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    log(message.type, JSON.stringify(message, null, 2));
  };
  socket.onclose = (event) => {
    setConnected(false, "closed (" + event.code + (event.reason ? ": " + event.reason : "") + ")");
    const refused = "refused or dropped (a bad or expired token is refused with 401)";
    log("CLOSED", event.code === 1006 ? refused : event.code + " " + event.reason);
  };
};
$("disconnect").onclick = () => socket && socket.close();
$("ping").onclick = () => socket && socket.send(JSON.stringify({ type: "PING" }));
$("clear").onclick = () => { $("log").textContent = ""; };
`;
