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
<script type="module" src="/docs/ws.js"></script>
</body>
</html>`;

/**
 * Its script, served as a file so that the page's policy allows no inline script. It is the
 * client SDK's browser bundle at work (/docs/client.js, packages/client): one implementation of
 * the reconnect, resume and renewal loop, not a second one written for this page.
 */
export const WS_TESTER_SCRIPT = `import { createClient } from "/docs/client.js";
const $ = (id) => document.getElementById(id);
let connection;
let client;
const log = (type, body) => {
  const entry = document.createElement("div");
  entry.className = "entry";
  const label = document.createElement("span");
  label.className = "type";
  label.textContent = type;
  entry.append(label, " " + body);
  $("log").prepend(entry);
};
const setButtons = (connected) => {
  $("connect").disabled = connected;
  $("disconnect").disabled = !connected;
  $("ping").disabled = !connected;
};
$("connect").onclick = () => {
  const token = $("token").value.trim();
  if (!token) return log("ERROR", "paste an access token first");
  client = createClient({ baseUrl: location.origin });
  // An access token alone: the socket renews nothing, and ends when the token does.
  client.auth.useTokens({ accessToken: token, refreshToken: null });
  const since = $("since").value.trim();
  connection = client.realtime.connect(since ? { since } : {});
  window.realtimeTester = { client, connection };
  setButtons(true);
  $("status").textContent = connection.state;
  connection.on("state", (state) => { $("status").textContent = state; });
  connection.on("connected", (payload) => log("CONNECTED", JSON.stringify(payload, null, 2)));
  connection.on("message", (message) => log(message.type, JSON.stringify(message, null, 2)));
  connection.on("replayTruncated", (detail) => log("REPLAY_TRUNCATED", JSON.stringify(detail)));
  connection.on("error", (message) => log("ERROR", message));
  connection.on("closed", ({ code, reason }) => {
    setButtons(false);
    $("status").textContent = "closed (" + code + (reason ? ": " + reason : "") + ")";
    log("CLOSED", code + " " + reason);
  });
};
$("disconnect").onclick = () => connection && connection.close();
$("ping").onclick = () => connection && connection.ping();
$("clear").onclick = () => { $("log").textContent = ""; };
`;
