import { createEmitter } from "./emitter.ts";
import type { components } from "./generated/api-types.ts";
import { renewalDue, type Session } from "./session.ts";

/** Everything the server sends on /ws, a union discriminated by `type` (from the server's own schemas). */
export type ServerMessage = components["schemas"]["SocketServerMessage"];
/** An activity event: a message with an `id`. */
export type ActivityMessage = Extract<ServerMessage, { id: string }>;

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

/** The first message on every (re)connection: who the socket is, and the id events follow. */
export type ConnectedPayload = Extract<ServerMessage, { type: "CONNECTED" }>["payload"];

export type RealtimeEvents = {
  /** An activity, each exactly once and in id order. */
  message: [message: ActivityMessage];
  /** Each time a socket is up: the user, organisation and role it serves, and the newest id the server had. */
  connected: [payload: ConnectedPayload];
  state: [state: ConnectionState];
  /** More was missed than the server replays: page GET /api/activities from `since` to catch up. */
  replayTruncated: [detail: { since: string; oldestReplayedId: string | null }];
  /** The connection ended for good, and why (a terminal close code, a session that ended, or close()). */
  closed: [detail: { code: number; reason: string }];
  /** The server refused a client message (a bad AUTH); the socket stays as it was. */
  error: [message: string];
};

/** What the client needs of a WebSocket: the browser's, Bun's, or (on Node 20) the `ws` package's. */
export type WebSocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
};
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type BackoffOptions = { initialMs?: number; maxMs?: number; stableMs?: number };
/** After `intervalMs` without a message the client sends PING; `timeoutMs` more without one, the socket is taken for dead. */
export type HeartbeatOptions = { intervalMs?: number; timeoutMs?: number };

/** Close codes after which reconnecting cannot help: the connection is closed for good. */
const TERMINAL: Record<number, string> = {
  4003: "removed from the organisation",
  4004: "the session belongs to no organisation",
  4005: "the organisation is suspended",
  4006: "the organisation requires a second factor",
  4007: "the account is disabled",
};
const AUTH_EXPIRED = 4001;
/** Ours, client side: the client ends a socket itself to resume at once (a gap, offline, no heartbeat). */
const RESTART = 4000;
/** How long before the token expires the socket sends AUTH with a fresh one. */
const RENEW_LEEWAY_MS = 15_000;

type Deps = {
  baseUrl: string;
  session: Session;
  WebSocket: WebSocketConstructor;
  backoff: Required<BackoffOptions>;
  heartbeat: Required<HeartbeatOptions>;
  random: () => number;
};

/**
 * One realtime connection that keeps the server's promises end to end:
 * - authenticates with the `bearer` subprotocol (never `?token=`);
 * - reconnects with full-jitter exponential backoff (from `initialMs` to a cap of `maxMs`),
 *   reset once a connection has been stable for `stableMs`; a browser tab that comes back to
 *   the foreground or back online reconnects at once;
 * - resumes with `since` = the last id it delivered; drops an id at or below it (no duplicate
 *   reaches the app) and, on an id above last + 1, resumes from the last instead (no gap does);
 * - renews the socket's token with AUTH before it expires, so a socket lives as long as the session;
 * - sends PING when the socket has been quiet, and takes a socket that stays silent for dead
 *   (a NAT that forgot it, a laptop that slept): no close event may ever come for those;
 * - 4001 refreshes and reconnects; 4003–4007, a refresh refused and close() are terminal.
 */
export function createRealtimeConnection(
  { baseUrl, session, WebSocket, backoff, heartbeat, random }: Deps,
  options: { since?: string } = {},
) {
  const events = createEmitter<RealtimeEvents>();
  let state: ConnectionState = "connecting";
  let lastId: bigint | undefined = options.since === undefined ? undefined : BigInt(options.since);
  let socket: WebSocketLike | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let stableTimer: ReturnType<typeof setTimeout> | undefined;
  /** The token the current socket was opened or last renewed with. */
  let socketToken: string | undefined;
  let refreshedForThisAttempt = false;
  /** After REPLAY_TRUNCATED the next activity is the oldest the server still has: it becomes the base, whatever its id. */
  let rebaseOnNext = false;
  let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  let lastHeard = 0;

  const isClosed = () => state === "closed";
  const setState = (next: ConnectionState) => {
    if (state === next) return;
    state = next;
    events.emit("state", next);
  };

  const clearTimers = () => {
    clearTimeout(retryTimer);
    clearTimeout(renewTimer);
    clearTimeout(stableTimer);
    clearTimeout(heartbeatTimer);
  };

  function finish(code: number, reason: string) {
    if (state === "closed") return;
    clearTimers();
    stopListening();
    const open = forgetSocket();
    if (open && open.readyState < 2) open.close(1000, reason.slice(0, 100));
    setState("closed");
    events.emit("closed", { code, reason });
  }

  /** Full jitter: uniformly between 0 and min(cap, initial × 2^attempt). */
  const nextDelay = () => random() * Math.min(backoff.maxMs, backoff.initialMs * 2 ** attempt++);

  function scheduleReconnect(immediately = false) {
    if (state === "closed") return;
    setState("reconnecting");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void open(), immediately ? 0 : nextDelay());
  }

  function scheduleRenewal(token: string) {
    clearTimeout(renewTimer);
    const due = renewalDue(token, RENEW_LEEWAY_MS);
    if (due === null) return;
    renewTimer = setTimeout(
      async () => {
        const fresh = await session.accessToken().catch(() => null);
        if (!fresh) return; // signed out: the server closes the socket at expiry, and the close handler ends it
        if (fresh === socketToken) {
          // Not due for a refresh yet by the session's own clock: ask for one, so the socket outlives this token.
          const refreshed = await session.refresh(fresh).catch(() => null);
          if (!refreshed) return;
          return renewWith(refreshed);
        }
        renewWith(fresh);
      },
      Math.max(0, due - Date.now()),
    );
  }

  /**
   * Drops the current socket and resumes at once from the last delivered id, without waiting for
   * its close event: on a dead connection a browser may not fire one for minutes.
   */
  function restart(reason: string) {
    const old = forgetSocket();
    if (!old) return;
    if (old.readyState < 2) old.close(RESTART, reason);
    scheduleReconnect(true);
  }

  function listenForHeartbeat() {
    clearTimeout(heartbeatTimer);
    const quiet = Date.now() - lastHeard;
    if (quiet >= heartbeat.intervalMs + heartbeat.timeoutMs) return restart("no heartbeat");
    if (quiet >= heartbeat.intervalMs && socket?.readyState === 1) socket.send(JSON.stringify({ type: "PING" }));
    const next = quiet >= heartbeat.intervalMs ? heartbeat.intervalMs + heartbeat.timeoutMs - quiet : heartbeat.intervalMs - quiet;
    heartbeatTimer = setTimeout(listenForHeartbeat, next);
  }

  function renewWith(token: string) {
    if (socket?.readyState !== 1) return;
    socketToken = token;
    socket.send(JSON.stringify({ type: "AUTH", token }));
  }

  function deliver(raw: unknown) {
    lastHeard = Date.now();
    let message: ServerMessage;
    try {
      message = JSON.parse(String(raw)) as ServerMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case "CONNECTED":
        lastId ??= BigInt(message.payload.lastActivityId);
        refreshedForThisAttempt = false;
        setState("open");
        events.emit("connected", message.payload);
        listenForHeartbeat();
        clearTimeout(stableTimer);
        stableTimer = setTimeout(() => {
          attempt = 0;
        }, backoff.stableMs);
        if (socketToken) scheduleRenewal(socketToken);
        return;
      case "AUTHENTICATED":
        if (socketToken) scheduleRenewal(socketToken);
        return;
      case "PONG":
        return;
      case "ERROR":
        events.emit("error", message.payload.message);
        return;
      case "REPLAY_TRUNCATED":
        // The app was told what is missing (it pages the feed for it); carry on from what the server still has.
        events.emit("replayTruncated", message.payload);
        rebaseOnNext = true;
        return;
    }
    const id = BigInt(message.id);
    if (rebaseOnNext) {
      rebaseOnNext = false;
      if (lastId === undefined || id > lastId) lastId = id - 1n;
    }
    if (lastId !== undefined && id <= lastId) return; // seen already
    if (lastId !== undefined && id > lastId + 1n) {
      // Something between was lost on the way: resume from the last delivered rather than skip it.
      restart("gap");
      return;
    }
    lastId = id;
    events.emit("message", message);
  }

  function detach() {
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = null;
    socket.onclose = null;
  }

  /** Lets go of the current socket and everything timed for it; returns it. */
  function forgetSocket(): WebSocketLike | undefined {
    const old = socket;
    detach();
    socket = undefined;
    clearTimeout(renewTimer);
    clearTimeout(stableTimer);
    clearTimeout(heartbeatTimer);
    rebaseOnNext = false;
    return old;
  }

  async function onClosed(code: number, reason: string) {
    forgetSocket();
    if (state === "closed") return;
    const terminal = TERMINAL[code];
    if (terminal) return finish(code, reason || terminal);
    if (code === AUTH_EXPIRED) {
      // Refresh once for this attempt; if the server refuses again at once, fall back to backoff (never a tight loop).
      if (!refreshedForThisAttempt) {
        refreshedForThisAttempt = true;
        const fresh = await session.refresh(socketToken).catch(() => undefined);
        if (fresh === null) return finish(code, "The session has ended");
        if (fresh !== undefined) return scheduleReconnect(true);
      }
    }
    scheduleReconnect();
  }

  async function open() {
    if (state === "closed") return;
    if (state !== "connecting") setState("reconnecting");
    let token: string | null;
    try {
      token = await session.accessToken();
    } catch {
      return scheduleReconnect(); // the network is down for the refresh too
    }
    if (isClosed()) return; // closed while the token was on its way
    if (!token) return finish(AUTH_EXPIRED, "Signed out");
    const url = new URL("/ws", baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (lastId !== undefined) url.searchParams.set("since", lastId.toString());
    socketToken = token;
    const next = new WebSocket(url.toString(), ["bearer", token]);
    socket = next;
    next.onmessage = (event) => deliver(event.data);
    next.onclose = (event) => void onClosed(event.code, event.reason);
    next.onerror = () => {};
  }

  // A tab back in the foreground, or back online, reconnects at once; going offline drops a socket that may be dead.
  const target = globalThis as {
    addEventListener?: (type: string, listener: () => void) => void;
    removeEventListener?: (type: string, listener: () => void) => void;
  };
  const doc = (
    globalThis as {
      document?: {
        visibilityState?: string;
        addEventListener(type: string, l: () => void): void;
        removeEventListener(type: string, l: () => void): void;
      };
    }
  ).document;
  const wakeUp = () => {
    if (state === "reconnecting") {
      attempt = 0;
      scheduleReconnect(true);
    }
  };
  const onVisible = () => doc?.visibilityState === "visible" && wakeUp();
  const onOffline = () => restart("offline");
  target.addEventListener?.("online", wakeUp);
  target.addEventListener?.("offline", onOffline);
  doc?.addEventListener("visibilitychange", onVisible);
  const stopSignedOut = session.on("signedOut", (reason) => finish(AUTH_EXPIRED, reason));
  function stopListening() {
    target.removeEventListener?.("online", wakeUp);
    target.removeEventListener?.("offline", onOffline);
    doc?.removeEventListener("visibilitychange", onVisible);
    stopSignedOut();
  }

  void open();

  return {
    on: events.on,
    get state() {
      return state;
    },
    /** The id of the last activity delivered (resume point); undefined before the first CONNECTED. */
    get lastId() {
      return lastId?.toString();
    },
    /** Sends PING; the server answers PONG. */
    ping: () => socket?.readyState === 1 && socket.send(JSON.stringify({ type: "PING" })),
    close: () => finish(1000, "Closed by the client"),
  };
}

export type RealtimeConnection = ReturnType<typeof createRealtimeConnection>;
