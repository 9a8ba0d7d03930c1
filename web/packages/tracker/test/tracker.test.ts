import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTracker, defaultTransport, impressionEventId, type TrackerOptions } from '../src/index.js';

/** A controllable IntersectionObserver: tests say how much of an element is visible. */
class FakeObserver {
  static all: FakeObserver[] = [];
  readonly targets = new Set<Element>();
  constructor(readonly callback: IntersectionObserverCallback) {
    FakeObserver.all.push(this);
  }
  observe(el: Element) {
    this.targets.add(el);
  }
  unobserve(el: Element) {
    this.targets.delete(el);
  }
  disconnect() {
    this.targets.clear();
  }
  takeRecords() {
    return [];
  }
  static show(el: Element, ratio: number) {
    for (const o of FakeObserver.all) {
      if (!o.targets.has(el)) continue;
      const entry = { target: el, intersectionRatio: ratio, isIntersecting: ratio > 0 } as IntersectionObserverEntry;
      o.callback([entry], o as unknown as IntersectionObserver);
    }
  }
}

type Sent = { url: string; body: { signals: Record<string, unknown>[] }; headers: Record<string, string> };

function setup(extra: Partial<TrackerOptions> = {}) {
  const sent: Sent[] = [];
  const storage = new Map<string, string>();
  const tracker = createTracker({
    customerId: 'cu-1',
    token: 'tok',
    consent: true,
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
    transport: (url, body, headers) => {
      sent.push({ url, body: JSON.parse(body), headers });
      return true;
    },
    ...extra,
  });
  return { tracker, sent, storage };
}

const ctx = { style_id: 'st-1', sku: 'st-1-c1-52', recommendation_id: 'rec-9', placement: 'home', position: 2 };

beforeEach(() => {
  vi.useFakeTimers();
  FakeObserver.all = [];
  vi.stubGlobal('IntersectionObserver', FakeObserver);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('impressions: at least half visible for at least one second', () => {
  it('counts an item after 1 s at 50% and not before', () => {
    const { tracker } = setup();
    const el = document.createElement('div');
    tracker.observe(el, ctx);
    FakeObserver.show(el, 0.5);
    vi.advanceTimersByTime(999);
    expect(tracker.pending()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(tracker.pending()).toHaveLength(1);
    const { signal, position } = tracker.pending()[0]!;
    expect(signal).toMatchObject({ kind: 'impression', style_id: 'st-1', recommendation_id: 'rec-9', placement: 'home', position: 2, customer_id: 'cu-1', sku: 'st-1-c1-52' });
    expect(position).toBe(2);
  });

  it('does not count an item less than half visible, or one scrolled away before 1 s', () => {
    const { tracker } = setup();
    const a = document.createElement('div');
    const b = document.createElement('div');
    tracker.observe(a, ctx);
    tracker.observe(b, { ...ctx, style_id: 'st-2' });
    FakeObserver.show(a, 0.49);
    FakeObserver.show(b, 1);
    vi.advanceTimersByTime(600);
    FakeObserver.show(b, 0.2);
    vi.advanceTimersByTime(5000);
    expect(tracker.pending()).toHaveLength(0);
    // Back in view: the second starts from zero.
    FakeObserver.show(b, 0.8);
    vi.advanceTimersByTime(1000);
    expect(tracker.pending().map((e) => e.signal.style_id)).toEqual(['st-2']);
  });

  it('counts each (list, style) once: double observers, double fires and reloads', () => {
    const { tracker, sent, storage } = setup();
    const el = document.createElement('div');
    const twin = document.createElement('div');
    tracker.observe(el, ctx);
    tracker.observe(twin, ctx);
    FakeObserver.show(el, 1);
    FakeObserver.show(twin, 1);
    vi.advanceTimersByTime(1000);
    expect(tracker.impression(ctx)).toBe(false);
    tracker.flush();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.signals).toHaveLength(1);
    expect(sent[0]!.body.signals[0]!.event_id).toBe(impressionEventId(ctx));

    // A reload: a new tracker over the same sessionStorage sends nothing again.
    const again = createTracker({
      customerId: 'cu-1',
      consent: true,
      storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
      transport: () => {
        throw new Error('must not send');
      },
    });
    const el2 = document.createElement('div');
    again.observe(el2, ctx);
    FakeObserver.show(el2, 1);
    vi.advanceTimersByTime(2000);
    expect(again.impression(ctx)).toBe(false);
    expect(again.pending()).toHaveLength(0);
  });

  it('derives the same event id for the same list, style and kind (so the server dedupes)', () => {
    expect(impressionEventId(ctx)).toBe(impressionEventId({ ...ctx, position: 7 }));
    expect(impressionEventId(ctx)).not.toBe(impressionEventId({ ...ctx, recommendation_id: 'rec-10' }));
    expect(impressionEventId(ctx)).not.toBe(impressionEventId({ ...ctx, style_id: 'st-2' }));
    expect(impressionEventId(ctx)).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
  });
});

describe('batching', () => {
  it('sends what accumulated in one request after the flush interval', () => {
    const { tracker, sent } = setup({ flushIntervalMs: 2000 });
    tracker.click(ctx);
    tracker.addToCart({ ...ctx, style_id: 'st-2' });
    tracker.impression({ ...ctx, style_id: 'st-3' });
    vi.advanceTimersByTime(1999);
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('/v1/signals');
    expect(sent[0]!.headers.authorization).toBe('Bearer tok');
    expect(sent[0]!.body.signals.map((s) => s.kind)).toEqual(['click', 'add_to_cart', 'impression']);
    for (const s of sent[0]!.body.signals) {
      expect(Object.keys(s).sort()).toEqual(['customer_id', 'event_id', 'kind', 'placement', 'position', 'recommendation_id', 'sku', 'style_id', 'timestamp']);
    }
  });

  it('flushes at once when the batch is full, and when the page hides', () => {
    const { tracker, sent } = setup({ maxBatch: 2 });
    tracker.impression({ ...ctx, style_id: 'a' });
    tracker.impression({ ...ctx, style_id: 'b' });
    expect(sent).toHaveLength(1);
    tracker.impression({ ...ctx, style_id: 'c' });
    window.dispatchEvent(new Event('pagehide'));
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body.signals.map((s) => s.style_id)).toEqual(['c']);
  });

  it('sends anonymous sessions to their session route without a customer', () => {
    const { tracker, sent } = setup({ customerId: null, token: null, sessionId: 'sess-7' });
    tracker.click(ctx);
    tracker.flush();
    expect(sent[0]!.url).toBe('/v1/sessions/sess-7/signals');
    expect(sent[0]!.headers.authorization).toBeUndefined();
    expect(sent[0]!.body.signals[0]).toMatchObject({ session_id: 'sess-7' });
    expect(sent[0]!.body.signals[0]!.customer_id).toBeUndefined();
  });
});

describe('actions', () => {
  it('drops a double-fired click within a second but counts a later one', () => {
    const { tracker } = setup();
    expect(tracker.click(ctx)).toBe(true);
    expect(tracker.click(ctx)).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(tracker.click(ctx)).toBe(true);
    const ids = tracker.pending().map((e) => e.signal.event_id);
    expect(new Set(ids).size).toBe(2);
  });

  it('gives a purchase with an order id a stable event id and its revenue fields', () => {
    const { tracker } = setup();
    tracker.purchase(ctx, { order_id: 'ord-1', price_cents: 15900, quantity: 1 });
    const first = tracker.pending()[0]!.signal;
    const { tracker: other } = setup();
    other.purchase(ctx, { order_id: 'ord-1', price_cents: 15900, quantity: 1 });
    expect(other.pending()[0]!.signal.event_id).toBe(first.event_id);
    expect(first).toMatchObject({ kind: 'purchase', price_cents: 15900, quantity: 1, order_id: 'ord-1' });
  });
});

describe('privacy', () => {
  it('records nothing until consent, and drops what is queued when consent is withdrawn', () => {
    const { tracker, sent } = setup({ consent: false });
    const el = document.createElement('div');
    tracker.observe(el, ctx);
    FakeObserver.show(el, 1);
    vi.advanceTimersByTime(1000);
    expect(tracker.click(ctx)).toBe(false);
    expect(tracker.pending()).toHaveLength(0);
    tracker.setConsent(true);
    expect(tracker.click({ ...ctx, style_id: 'st-5' })).toBe(true);
    tracker.setConsent(false);
    vi.advanceTimersByTime(10_000);
    tracker.flush();
    expect(sent).toHaveLength(0);
  });

  it('respects Do Not Track and Global Privacy Control', () => {
    vi.stubGlobal('navigator', { ...navigator, doNotTrack: '1' });
    const { tracker } = setup();
    expect(tracker.enabled()).toBe(false);
    expect(tracker.click(ctx)).toBe(false);
    vi.stubGlobal('navigator', { ...navigator, doNotTrack: null, globalPrivacyControl: true });
    expect(tracker.enabled()).toBe(false);
    const { tracker: ignoring } = setup({ respectDoNotTrack: false });
    expect(ignoring.click(ctx)).toBe(true);
  });
});

describe('default transport', () => {
  it('uses sendBeacon when no Authorization header is needed', () => {
    const sendBeacon = vi.fn(() => true);
    const fetch = vi.fn(async () => new Response(null, { status: 202 }));
    vi.stubGlobal('navigator', { ...navigator, sendBeacon });
    vi.stubGlobal('fetch', fetch);
    defaultTransport('/v1/sessions/s/signals', '{"signals":[]}', { 'content-type': 'application/json' });
    expect(sendBeacon).toHaveBeenCalledTimes(1);
    const blob = (sendBeacon.mock.calls[0] as unknown[])[1] as Blob;
    expect(blob.type).toBe('application/json');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('uses fetch keepalive with the header for customer routes (sendBeacon cannot send it)', () => {
    const sendBeacon = vi.fn(() => true);
    const fetch = vi.fn(async () => new Response(null, { status: 202 }));
    vi.stubGlobal('navigator', { ...navigator, sendBeacon });
    vi.stubGlobal('fetch', fetch);
    defaultTransport('/v1/signals', '{"signals":[]}', { 'content-type': 'application/json', authorization: 'Bearer t' });
    expect(sendBeacon).not.toHaveBeenCalled();
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/signals');
    expect(init.keepalive).toBe(true);
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer t');
  });

  it('falls back to fetch keepalive when sendBeacon refuses', () => {
    vi.stubGlobal('navigator', { ...navigator, sendBeacon: () => false });
    const fetch = vi.fn(async () => new Response(null, { status: 202 }));
    vi.stubGlobal('fetch', fetch);
    defaultTransport('/v1/sessions/s/signals', '{}', { 'content-type': 'application/json' });
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
