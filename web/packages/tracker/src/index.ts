// @framewise/tracker: what a shopper saw and did with a recommendation, sent to Framewise so
// that lists can be attributed (exposure -> click -> cart -> purchase) and learn from it.
//
// - An impression counts when at least half of the item is visible for at least one second
//   (IntersectionObserver); its event_id is derived from (recommendation_id, style, kind), so
//   a reload or a second observer never counts it twice (the server dedupes by event_id).
// - Events are batched and sent on a timer, when the batch is full and when the page hides.
// - Nothing is recorded before consent, nor ever under Do Not Track / Global Privacy Control.
import type { Signal, SignalKind } from '@framewise/client';

/** Where a tracked item was shown. */
export interface ItemContext {
  style_id: string;
  sku?: string | null;
  /** The list it came from (`recommendation_id` of the page), for attribution. */
  recommendation_id?: string | null;
  /** Where the list is shown: `home`, `product`, `cart`... */
  placement?: string | null;
  /** 0-based position in the list as shown (sent as the signal's `position`). */
  position?: number;
}

export interface PurchaseDetails {
  price_cents?: number;
  quantity?: number;
  order_id?: string;
}

/** A recorded event: the signal as sent and the position it was shown at. */
export interface TrackedEvent {
  signal: Signal;
  position: number | undefined;
}

export interface Transport {
  /** Sends one JSON body; true when handed over (not necessarily delivered). */
  (url: string, body: string, headers: Record<string, string>): boolean | Promise<boolean>;
}

export interface TrackerOptions {
  /** Origin of the Framewise API ('' = same origin). */
  baseUrl?: string;
  /** A signed-in shopper: signals go to POST /v1/signals with the bearer token. */
  customerId?: string | null;
  token?: string | null | (() => string | null | undefined);
  /** An anonymous visitor: signals go to POST /v1/sessions/{sessionId}/signals. */
  sessionId?: string | null;
  /** Whether the shopper agreed to tracking; nothing is recorded until it is true. */
  consent?: boolean;
  /** Honour `navigator.doNotTrack` and Global Privacy Control (default true). */
  respectDoNotTrack?: boolean;
  /** Milliseconds between flushes of a non-empty batch (default 2000). */
  flushIntervalMs?: number;
  /** Events per request, 1..100 (default 25). */
  maxBatch?: number;
  /** How long an item must stay at least `visibleRatio` visible (default 1000 ms). */
  impressionMs?: number;
  visibleRatio?: number;
  /** Identical non-impression events closer than this are one double-fired event (default 1000 ms). */
  doubleFireMs?: number;
  context?: { device?: string; locale?: string };
  /** Called for every recorded event (analytics, debugging). */
  onEvent?: (event: TrackedEvent) => void;
  /** Overrides the network (tests); default sendBeacon, else fetch keepalive. */
  transport?: Transport;
  /** Remembers impression ids already sent across reloads (default sessionStorage when present). */
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  now?: () => number;
}

/** 53-bit FNV-1a-style hash of a string, as base-36 (stable across reloads and browsers). */
export function stableHash(input: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  const hi = (h2 >>> 0) & 0x1fffff;
  return (hi * 0x100000000 + (h1 >>> 0)).toString(36);
}

const ID_CHARS = /[^A-Za-z0-9_.:-]/g;

/** The idempotency key of an impression: the same for the same list, style and kind. */
export function impressionEventId(ctx: ItemContext, kind: SignalKind = 'impression'): string {
  const key = `${ctx.recommendation_id ?? ''}|${ctx.placement ?? ''}|${ctx.style_id}|${kind}`;
  return `fw.${kind}.${stableHash(key)}`.replace(ID_CHARS, '_');
}

function randomId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;
}

/** Whether the browser asks not to be tracked (DNT header setting or Global Privacy Control). */
export function doNotTrack(): boolean {
  if (typeof navigator === 'undefined') return false;
  const nav = navigator as Navigator & { msDoNotTrack?: string; globalPrivacyControl?: boolean };
  const win = (typeof window !== 'undefined' ? window : {}) as { doNotTrack?: string };
  const dnt = nav.doNotTrack ?? win.doNotTrack ?? nav.msDoNotTrack;
  return dnt === '1' || dnt === 'yes' || nav.globalPrivacyControl === true;
}

/** sendBeacon when no header is needed (it cannot send Authorization), else fetch keepalive. */
export const defaultTransport: Transport = (url, body, headers) => {
  const needsHeaders = Object.keys(headers).some((h) => h.toLowerCase() !== 'content-type');
  if (!needsHeaders && typeof navigator !== 'undefined' && typeof navigator.sendBeacon === 'function') {
    try {
      if (navigator.sendBeacon(url, new Blob([body], { type: 'application/json' }))) return true;
    } catch {
      // Some browsers refuse non-CORS-safelisted types cross-origin: fall through to fetch.
    }
  }
  if (typeof fetch !== 'function') return false;
  fetch(url, { method: 'POST', body, headers, keepalive: true, credentials: 'omit' }).catch(() => undefined);
  return true;
};

const SEEN_KEY = 'framewise.seen';
const SEEN_MAX = 500;

export type Tracker = ReturnType<typeof createTracker>;

export function createTracker(options: TrackerOptions = {}) {
  const opts = {
    baseUrl: (options.baseUrl ?? '').replace(/\/$/, ''),
    respectDoNotTrack: options.respectDoNotTrack ?? true,
    flushIntervalMs: options.flushIntervalMs ?? 2000,
    maxBatch: Math.min(100, Math.max(1, options.maxBatch ?? 25)),
    impressionMs: options.impressionMs ?? 1000,
    visibleRatio: options.visibleRatio ?? 0.5,
    doubleFireMs: options.doubleFireMs ?? 1000,
  };
  const now = options.now ?? Date.now;
  const transport = options.transport ?? defaultTransport;
  let customerId = options.customerId ?? null;
  let sessionId = options.sessionId ?? null;
  let token = options.token ?? null;
  let consent = options.consent ?? false;
  let queue: TrackedEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const recent = new Map<string, number>();
  const storage: TrackerOptions['storage'] =
    options.storage !== undefined ? options.storage : typeof sessionStorage !== 'undefined' ? sessionStorage : null;
  const seen = new Set<string>(readSeen());

  function readSeen(): string[] {
    try {
      const raw = storage?.getItem(SEEN_KEY);
      const list: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }
  function remember(id: string) {
    seen.add(id);
    try {
      storage?.setItem(SEEN_KEY, JSON.stringify([...seen].slice(-SEEN_MAX)));
    } catch {
      // Storage full or blocked: the server still dedupes by event_id.
    }
  }

  /** Whether events are recorded right now. */
  function enabled(): boolean {
    if (!consent) return false;
    if (opts.respectDoNotTrack && doNotTrack()) return false;
    return Boolean(customerId || sessionId);
  }

  function record(kind: SignalKind, ctx: ItemContext, eventId: string, extra: PurchaseDetails = {}): boolean {
    if (!enabled()) return false;
    if (seen.has(eventId) || queue.some((e) => e.signal.event_id === eventId)) return false;
    const signal: Signal = {
      event_id: eventId,
      kind,
      style_id: ctx.style_id,
      timestamp: new Date(now()).toISOString(),
      ...(customerId ? { customer_id: customerId } : { session_id: sessionId }),
      ...(ctx.sku ? { sku: ctx.sku } : {}),
      ...(ctx.recommendation_id ? { recommendation_id: ctx.recommendation_id } : {}),
      ...(ctx.placement ? { placement: ctx.placement } : {}),
      ...(ctx.position !== undefined ? { position: ctx.position } : {}),
      ...(options.context ? { context: options.context } : {}),
      ...extra,
    };
    const event = { signal, position: ctx.position };
    queue.push(event);
    options.onEvent?.(event);
    if (queue.length >= opts.maxBatch) flush();
    else schedule();
    return true;
  }

  /** A deliberate action: fresh event id, but a double-fired handler within 1 s is dropped. */
  function action(kind: SignalKind, ctx: ItemContext, extra?: PurchaseDetails, eventId?: string): boolean {
    const key = `${kind}|${ctx.recommendation_id ?? ''}|${ctx.style_id}|${ctx.sku ?? ''}`;
    const t = now();
    const last = recent.get(key);
    if (last !== undefined && t - last < opts.doubleFireMs) return false;
    if (!enabled()) return false;
    recent.set(key, t);
    return record(kind, ctx, eventId ?? `fw.${kind}.${randomId()}`.replace(ID_CHARS, '_'), extra);
  }

  function schedule() {
    if (timer === undefined) timer = setTimeout(() => flush(), opts.flushIntervalMs);
  }

  /** Sends everything queued now (in requests of at most `maxBatch`). */
  function flush(): void {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (queue.length > 0) {
      const batch = queue.splice(0, opts.maxBatch);
      const bearer = typeof token === 'function' ? token() : token;
      const signedIn = batch[0]!.signal.customer_id != null;
      const url = signedIn
        ? `${opts.baseUrl}/v1/signals`
        : `${opts.baseUrl}/v1/sessions/${encodeURIComponent(batch[0]!.signal.session_id ?? '')}/signals`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (signedIn && bearer) headers.authorization = `Bearer ${bearer}`;
      void transport(url, JSON.stringify({ signals: batch.map((e) => e.signal) }), headers);
      for (const e of batch) if (e.signal.kind === 'impression') remember(e.signal.event_id);
    }
  }

  // Impressions: per observed element, a timer runs while it is at least half visible.
  const observed = new Map<Element, { ctx: ItemContext; timer?: ReturnType<typeof setTimeout> }>();
  let observer: IntersectionObserver | null = null;
  function ensureObserver(): IntersectionObserver | null {
    if (observer || typeof IntersectionObserver === 'undefined') return observer;
    observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          const state = observed.get(entry.target);
          if (!state) continue;
          const visible = entry.isIntersecting && entry.intersectionRatio >= opts.visibleRatio;
          if (visible && state.timer === undefined) {
            state.timer = setTimeout(() => {
              state.timer = undefined;
              if (impression(state.ctx)) unobserve(entry.target);
            }, opts.impressionMs);
          } else if (!visible && state.timer !== undefined) {
            clearTimeout(state.timer);
            state.timer = undefined;
          }
        }
      },
      { threshold: [0, opts.visibleRatio, 1] },
    );
    return observer;
  }
  function unobserve(el: Element) {
    const state = observed.get(el);
    if (state?.timer !== undefined) clearTimeout(state.timer);
    observed.delete(el);
    observer?.unobserve(el);
  }

  /** Records an impression once per (list, style): true when it was new. */
  function impression(ctx: ItemContext): boolean {
    return record('impression', ctx, impressionEventId(ctx));
  }

  // The last moment a page can send: leaving it, or hiding it (mobile browsers may never
  // fire pagehide after a tab switch).
  const onPageHide = () => flush();
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') flush();
  };
  if (typeof window !== 'undefined') {
    window.addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisibility);
  }

  return {
    /** Counts an impression of `el` once it is ≥50% visible for ≥1 s; returns a cleanup. */
    observe(el: Element, ctx: ItemContext): () => void {
      const existing = observed.get(el);
      if (existing) {
        existing.ctx = ctx;
        return () => unobserve(el);
      }
      if (seen.has(impressionEventId(ctx))) return () => undefined;
      observed.set(el, { ctx });
      ensureObserver()?.observe(el);
      return () => unobserve(el);
    },
    impression,
    click: (ctx: ItemContext) => action('click', ctx),
    view: (ctx: ItemContext) => action('view', ctx),
    tryOn: (ctx: ItemContext) => action('try_on', ctx),
    favorite: (ctx: ItemContext) => action('favorite', ctx),
    addToCart: (ctx: ItemContext) => action('add_to_cart', ctx),
    /** A purchase; with an `order_id` its event id is stable per (order, style, sku). */
    purchase(ctx: ItemContext, details: PurchaseDetails = {}) {
      const id = details.order_id
        ? `fw.purchase.${stableHash(`${details.order_id}|${ctx.style_id}|${ctx.sku ?? ''}`)}`
        : undefined;
      return action('purchase', ctx, details, id);
    },
    flush,
    setConsent(value: boolean) {
      consent = value;
      if (!value) {
        queue = [];
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      }
    },
    /** Who the events belong to (sign-in, sign-out, switching shoppers); flushes first. */
    identify(who: { customerId?: string | null; sessionId?: string | null; token?: TrackerOptions['token'] }) {
      flush();
      customerId = who.customerId ?? null;
      sessionId = who.sessionId ?? sessionId;
      token = who.token ?? null;
    },
    enabled,
    /** Events waiting to be sent (for tests and debugging). */
    pending: (): readonly TrackedEvent[] => queue,
    destroy() {
      flush();
      observer?.disconnect();
      observer = null;
      for (const s of observed.values()) if (s.timer !== undefined) clearTimeout(s.timer);
      observed.clear();
      if (typeof window !== 'undefined') {
        window.removeEventListener('pagehide', onPageHide);
        document.removeEventListener('visibilitychange', onVisibility);
      }
    },
  };
}
