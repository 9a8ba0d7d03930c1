import { describe, expect, it, vi } from 'vitest';
import { FramewiseError, collectItems, createClient, pages, parseRetryAfter, type RecommendationPage } from '../src/index.js';

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function page(ids: string[], next: string | null): RecommendationPage {
  return {
    recommendation_id: 'rec-1',
    model_version: 'm',
    generated_at: '2026-01-01T00:00:00Z',
    source: 'precomputed',
    next_cursor: next,
    items: ids.map((style_id) => ({
      style_id,
      score: 1,
      reasons: [],
      name: style_id,
      brand: 'b',
      category: 'optical',
      shape: 'round',
      rim: 'full',
      material: 'acetate',
      price_cents: 100,
      currency: 'USD',
      image_url: '/x.svg',
    })),
  };
}

describe('retries on 503', () => {
  it('waits what Retry-After says, then returns the answer', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(json(503, { error: { code: 'unavailable', message: 'x' } }, { 'retry-after': '2' }))
      .mockResolvedValueOnce(json(200, page(['a'], null)));
    const sleep = vi.fn(async () => {});
    const client = createClient({ fetch, sleep, token: 't' });
    const result = await client.recommendations('cu-1', { limit: 1 });
    expect(result.items.map((i) => i.style_id)).toEqual(['a']);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(sleep).toHaveBeenCalledWith(2000);
  });

  it('is bounded: gives up after `retries` and caps each wait at maxRetryDelayMs', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => json(503, { error: { code: 'unavailable', message: 'storage trouble' } }, { 'retry-after': '3600' }));
    const sleep = vi.fn(async () => {});
    const client = createClient({ fetch, sleep, retries: 2, maxRetryDelayMs: 1500 });
    const error = await client.product('st-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FramewiseError);
    expect((error as FramewiseError).status).toBe(503);
    expect((error as FramewiseError).code).toBe('unavailable');
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls).toEqual([[1500], [1500]]);
  });

  it('backs off exponentially without Retry-After and never retries other errors', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(new Response('', { status: 503 }))
      .mockResolvedValueOnce(new Response('', { status: 503 }))
      .mockResolvedValueOnce(json(400, { error: { code: 'invalid_request', message: 'limit: too big', field: 'limit', details: [{ field: 'limit', message: 'too big' }] } }));
    const sleep = vi.fn(async () => {});
    const client = createClient({ fetch, sleep, baseRetryDelayMs: 100 });
    const error = (await client.trending({ limit: 1000 }).catch((e: unknown) => e)) as FramewiseError;
    expect(sleep.mock.calls).toEqual([[100], [200]]);
    expect(error.status).toBe(400);
    expect(error.field).toBe('limit');
    expect(error.details).toEqual([{ field: 'limit', message: 'too big' }]);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('requests', () => {
  it('sends the bearer token on customer routes only, and queries from the document', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => json(200, page([], null)));
    let token = 'first';
    const client = createClient({ fetch, baseUrl: 'https://api.example/', token: () => token });
    await client.recommendations('cu 1', { limit: 5, cursor: 'c1', placement: 'home' });
    token = 'second';
    await client.lensRecommendation('cu-1', { style_id: 'st-1', use: ['desk', 'driving'] });
    await client.similar('st-1', 4);
    const [url1, init1] = fetch.mock.calls[0]!;
    expect(url1).toBe('https://api.example/v1/customers/cu%201/recommendations?limit=5&cursor=c1&placement=home');
    expect((init1!.headers as Record<string, string>).authorization).toBe('Bearer first');
    const [url2, init2] = fetch.mock.calls[1]!;
    expect(url2).toBe('https://api.example/v1/customers/cu-1/lens-recommendation?style_id=st-1&use=desk%2Cdriving');
    expect((init2!.headers as Record<string, string>).authorization).toBe('Bearer second');
    const [, init3] = fetch.mock.calls[2]!;
    expect((init3!.headers as Record<string, string>).authorization).toBeUndefined();
  });

  it('asks for the compact view only through compactRecommendations', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => json(200, { view: 'compact', recommendation_id: 'r', items: [] }));
    const client = createClient({ fetch, token: 't' });
    await client.compactRecommendations('cu-1', { limit: 12 });
    expect(String(fetch.mock.calls[0]![0])).toBe('/v1/customers/cu-1/recommendations?limit=12&view=compact');
  });

  it('posts signal batches as JSON', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => json(202, { accepted: 1, duplicates: 0 }));
    const client = createClient({ fetch, token: 't' });
    const out = await client.postSignals([{ event_id: 'e1', kind: 'click', style_id: 'st-1', customer_id: 'cu-1', timestamp: '2026-01-01T00:00:00Z' }]);
    expect(out).toEqual({ accepted: 1, duplicates: 0 });
    const [, init] = fetch.mock.calls[0]!;
    expect(init!.method).toBe('POST');
    expect((init!.headers as Record<string, string>)['content-type']).toBe('application/json');
    expect(JSON.parse(init!.body as string).signals[0].event_id).toBe('e1');
  });
});

describe('cursor paging', () => {
  it('follows next_cursor until a page has none', async () => {
    const seen: (string | null)[] = [];
    const all = { '': page(['a', 'b'], 'c2'), c2: page(['c', 'd'], 'c3'), c3: page(['e'], null) } as Record<string, RecommendationPage>;
    const fetchPage = async (cursor: string | null) => {
      seen.push(cursor);
      return all[cursor ?? '']!;
    };
    const ids: string[] = [];
    for await (const p of pages(fetchPage)) ids.push(...p.items.map((i) => i.style_id));
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(seen).toEqual([null, 'c2', 'c3']);
  });

  it('stops fetching once enough items are collected', async () => {
    const fetchPage = vi.fn(async (cursor: string | null) => (cursor ? page(['c', 'd'], 'more') : page(['a', 'b'], 'c2')));
    const items = await collectItems<RecommendationPage['items'][number], RecommendationPage>(fetchPage, 3);
    expect(items.map((i) => i.style_id)).toEqual(['a', 'b', 'c']);
    expect(fetchPage).toHaveBeenCalledTimes(2);
  });
});
