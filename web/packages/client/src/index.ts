// @framewise/client: a typed client for the Framewise API. The types come from the OpenAPI
// document the server publishes (`GET /openapi.json`, snapshot in ../openapi.json), generated
// by openapi-typescript into ./schema.ts; the methods below only name routes and parameters.
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';

type Schemas = components['schemas'];
export type RecommendationPage = Schemas['RecommendationPage'];
export type RecommendedItem = Schemas['RecommendedItem'];
export type Reason = Schemas['Reason'];
export type Style = Schemas['Style'];
export type FrameSize = Schemas['FrameSize'];
export type FrameColour = Schemas['FrameColour'];
export type Shape = Schemas['Shape'];
export type Category = Schemas['Category'];
export type ColourFamily = Schemas['ColourFamily'];
export type RelatedItems = Schemas['RelatedItems'];
export type TrendingItems = Schemas['TrendingItems'];
export type Signal = Schemas['Signal'];
export type SignalKind = Schemas['SignalKind'];
export type SignalBatch = Schemas['SignalBatch'];
export type EnqueueOutcome = Schemas['EnqueueOutcome'];
export type ProfileBody = Schemas['ProfileBody'];
export type ProfileView = Schemas['ProfileView'];
export type FaceShape = Schemas['FaceShape'];
export type Undertone = Schemas['Undertone'];
export type ColourSeason = Schemas['ColourSeason'];
export type LensSummary = Schemas['LensSummary'];
export type LensRecommendation = Schemas['LensRecommendation'];
export type CustomerExport = Schemas['CustomerExport'];
export type ErrorBody = Schemas['ErrorBody'];

/** A query as a route of the OpenAPI document declares it. */
type QueryOf<P extends keyof paths, M extends 'get' | 'post' | 'put' | 'delete'> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

/** `view` is left out: these methods answer the full view; `compactRecommendations` the compact one. */
export type RecommendationsQuery = Omit<QueryOf<'/v1/customers/{customer_id}/recommendations', 'get'>, 'view'>;
export type SessionRecommendationsQuery = Omit<QueryOf<'/v1/sessions/{session_id}/recommendations', 'get'>, 'view'>;
export type TrendingQuery = Omit<QueryOf<'/v1/trending', 'get'>, 'view'>;
export type CompactPage = Schemas['CompactPage'];
export type CompactItem = Schemas['CompactItem'];
export type LensQuery = QueryOf<'/v1/customers/{customer_id}/lens-recommendation', 'get'>;

/** A token, or a function that returns the current one (called on every request). */
export type TokenSource = string | null | undefined | (() => string | null | undefined);

export interface ClientOptions {
  /** Origin (and optional path prefix) of the API; '' means same origin. */
  baseUrl?: string;
  /** Bearer token for customer routes (the shopper's own JWT or the shop's backend token). */
  token?: TokenSource;
  /** How many times a 503 is retried (default 3); 0 disables retries. */
  retries?: number;
  /** Upper bound of one wait between retries, whatever Retry-After says (default 5000 ms). */
  maxRetryDelayMs?: number;
  /** First back-off when the server sends no Retry-After (default 250 ms, doubled each time). */
  baseRetryDelayMs?: number;
  fetch?: typeof fetch;
  /** Waits between retries (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

/** An error answer of the API: the status and the JSON error body's code, message and field. */
export class FramewiseError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly details: { field: string; message: string }[];

  constructor(status: number, body: unknown, fallback: string) {
    const error = (body as Partial<ErrorBody> | undefined)?.error;
    super(error?.message ?? fallback);
    this.name = 'FramewiseError';
    this.status = status;
    this.code = error?.code ?? `http_${status}`;
    this.field = error?.field ?? undefined;
    this.details = (error?.details ?? []).map((d) => ({ field: d.field, message: d.message }));
  }
}

/** Seconds or an HTTP date, as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Arrays are sent comma-separated (`style: form, explode: false`, as the document declares). */
type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Send the bearer token (customer routes); public routes never need it. */
  auth?: boolean;
  signal?: AbortSignal;
}

export type Client = ReturnType<typeof createClient>;

export function createClient(options: ClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const retries = options.retries ?? 3;
  const maxDelay = options.maxRetryDelayMs ?? 5000;
  const baseDelay = options.baseRetryDelayMs ?? 250;
  const sleep = options.sleep ?? defaultSleep;
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const token = (): string | undefined => {
    const t = typeof options.token === 'function' ? options.token() : options.token;
    return t ?? undefined;
  };

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (Array.isArray(v)) {
        if (v.length > 0) params.set(k, v.join(','));
      } else if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const qs = params.toString();
    const url = `${baseUrl}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const bearer = opts.auth === false ? undefined : token();
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);

    for (let attempt = 0; ; attempt++) {
      const res = await doFetch(url, { method, headers, body, signal: opts.signal });
      if (res.status === 503 && attempt < retries) {
        const hinted = parseRetryAfter(res.headers.get('retry-after'));
        const backoff = baseDelay * 2 ** attempt;
        await sleep(Math.min(maxDelay, hinted ?? backoff));
        continue;
      }
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!res.ok) throw new FramewiseError(res.status, parsed, `${method} ${path}: ${res.status}`);
      return parsed as T;
    }
  }

  const enc = encodeURIComponent;

  return {
    request,

    /** A page of the shopper's list (`next_cursor` names the next page). Needs a token. */
    recommendations(customerId: string, query: RecommendationsQuery = {}, signal?: AbortSignal) {
      return request<RecommendationPage>('GET', `/v1/customers/${enc(customerId)}/recommendations`, {
        query: { ...query },
        signal,
      });
    },
    /** The same page in the compact view (ids, name, price, one image, one reason, size label). */
    compactRecommendations(customerId: string, query: RecommendationsQuery = {}, signal?: AbortSignal) {
      return request<CompactPage>('GET', `/v1/customers/${enc(customerId)}/recommendations`, {
        query: { ...query, view: 'compact' },
        signal,
      });
    },
    /** A page of an anonymous session's list. */
    sessionRecommendations(sessionId: string, query: SessionRecommendationsQuery = {}, signal?: AbortSignal) {
      return request<RecommendationPage>('GET', `/v1/sessions/${enc(sessionId)}/recommendations`, {
        query: { ...query },
        auth: false,
        signal,
      });
    },
    product(styleId: string, signal?: AbortSignal) {
      return request<Style>('GET', `/v1/products/${enc(styleId)}`, { auth: false, signal });
    },
    similar(styleId: string, limit?: number, signal?: AbortSignal) {
      return request<RelatedItems>('GET', `/v1/products/${enc(styleId)}/similar`, {
        query: { limit },
        auth: false,
        signal,
      });
    },
    alsoBought(styleId: string, limit?: number, signal?: AbortSignal) {
      return request<RelatedItems>('GET', `/v1/products/${enc(styleId)}/also-bought`, {
        query: { limit },
        auth: false,
        signal,
      });
    },
    trending(query: TrendingQuery = {}, signal?: AbortSignal) {
      return request<TrendingItems>('GET', '/v1/trending', { query: { ...query }, auth: false, signal });
    },
    /** The profile; `include: 'prescription'` (the shopper's own token only) opens the prescription. */
    profile(customerId: string, query: QueryOf<'/v1/customers/{customer_id}/profile', 'get'> = {}, signal?: AbortSignal) {
      return request<ProfileView>('GET', `/v1/customers/${enc(customerId)}/profile`, { query: { ...query }, signal });
    },
    putProfile(customerId: string, body: ProfileBody) {
      return request<ProfileView>('PUT', `/v1/customers/${enc(customerId)}/profile`, { body });
    },
    lensRecommendation(customerId: string, query: LensQuery = {}, signal?: AbortSignal) {
      return request<LensRecommendation>('GET', `/v1/customers/${enc(customerId)}/lens-recommendation`, {
        query: { ...query },
        signal,
      });
    },
    exportCustomer(customerId: string) {
      return request<CustomerExport>('GET', `/v1/customers/${enc(customerId)}/export`);
    },
    /** A signed-in shopper's (or, with the service token, anyone's) signals. */
    postSignals(signals: Signal[]) {
      return request<EnqueueOutcome>('POST', '/v1/signals', { body: { signals } });
    },
    /** An anonymous session's signals: none may name a customer. */
    postSessionSignals(sessionId: string, signals: Signal[]) {
      return request<EnqueueOutcome>('POST', `/v1/sessions/${enc(sessionId)}/signals`, {
        body: { signals },
        auth: false,
      });
    },
  };
}

/**
 * Every page of a cursor-paged list, fetched lazily: `fetchPage` gets the previous page's
 * `next_cursor` (null for the first page) and iteration stops when a page has none.
 *
 *     for await (const page of pages((cursor) => client.recommendations(id, { limit: 12, cursor }))) ...
 */
export async function* pages<P extends { next_cursor?: string | null }>(
  fetchPage: (cursor: string | null) => Promise<P>,
  maxPages = Infinity,
): AsyncGenerator<P, void, undefined> {
  let cursor: string | null = null;
  for (let n = 0; n < maxPages; n++) {
    const page: P = await fetchPage(cursor);
    yield page;
    cursor = page.next_cursor ?? null;
    if (!cursor) return;
  }
}

/** Every item of every page, up to `max` items. */
export async function collectItems<I, P extends { next_cursor?: string | null; items: I[] }>(
  fetchPage: (cursor: string | null) => Promise<P>,
  max = Infinity,
): Promise<I[]> {
  const out: I[] = [];
  for await (const page of pages(fetchPage)) {
    for (const item of page.items) {
      if (out.length >= max) return out;
      out.push(item);
    }
  }
  return out;
}
