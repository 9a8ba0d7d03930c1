import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { FramewiseError, type Client, type RecommendationPage, type RecommendedItem } from '@framewise/client';
import type { ItemContext, Tracker } from '@framewise/tracker';
import { useFramewise } from './context.js';

export interface UseRecommendationsOptions {
  /** Where the list is shown (echoed back for attribution), e.g. `home`. */
  placement?: string;
  /** Items per page (default 12). */
  pageSize?: number;
  /** Most items to load through the cursor (default 48). */
  maxItems?: number;
  /** Skip fetching (e.g. until the shopper is known). */
  enabled?: boolean;
  /** Changing this refetches from the first page (e.g. after a purchase). */
  refreshKey?: unknown;
}

export interface RecommendationsState {
  items: RecommendedItem[];
  /** The list's id of each item (pages may differ), for attribution. */
  recommendationIds: string[];
  recommendationId: string | null;
  loading: boolean;
  loadingMore: boolean;
  error: Error | null;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

function fetchPage(client: Client, shopper: { customerId?: string | null; sessionId?: string | null }, query: { limit: number; cursor?: string; placement?: string }, signal: AbortSignal): Promise<RecommendationPage> {
  if (shopper.customerId) {
    return client.recommendations(shopper.customerId, { ...query, session_id: shopper.sessionId ?? undefined }, signal);
  }
  if (shopper.sessionId) return client.sessionRecommendations(shopper.sessionId, query, signal);
  return Promise.reject(new Error('a customerId or a sessionId is needed'));
}

/** The shopper's list, loaded one page at a time through `next_cursor`. */
export function useRecommendations(options: UseRecommendationsOptions = {}): RecommendationsState {
  const { client, shopper } = useFramewise();
  const { placement, pageSize = 12, maxItems = 48, enabled = true, refreshKey } = options;
  const [state, setState] = useState<{
    items: RecommendedItem[];
    ids: string[];
    cursor: string | null;
    loading: boolean;
    loadingMore: boolean;
    error: Error | null;
  }>({ items: [], ids: [], cursor: null, loading: enabled, loadingMore: false, error: null });
  const [generation, setGeneration] = useState(0);
  const abort = useRef<AbortController | null>(null);
  const busy = useRef(false);

  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    abort.current = controller;
    busy.current = true;
    setState({ items: [], ids: [], cursor: null, loading: true, loadingMore: false, error: null });
    fetchPage(client, shopper, { limit: pageSize, placement }, controller.signal).then(
      (page) => {
        busy.current = false;
        if (controller.signal.aborted) return;
        setState({
          items: page.items.slice(0, maxItems),
          ids: page.items.map(() => page.recommendation_id),
          cursor: page.next_cursor ?? null,
          loading: false,
          loadingMore: false,
          error: null,
        });
      },
      (error: unknown) => {
        busy.current = false;
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, loading: false, error: error instanceof Error ? error : new Error(String(error)) }));
      },
    );
    return () => controller.abort();
  }, [client, shopper.customerId, shopper.sessionId, placement, pageSize, maxItems, enabled, refreshKey, generation]);

  const hasMore = state.cursor !== null && state.items.length < maxItems;
  const loadMore = useCallback(() => {
    if (busy.current || !hasMore || !state.cursor) return;
    const controller = abort.current;
    if (!controller) return;
    busy.current = true;
    setState((s) => ({ ...s, loadingMore: true }));
    fetchPage(client, shopper, { limit: pageSize, cursor: state.cursor ?? undefined, placement }, controller.signal).then(
      (page) => {
        busy.current = false;
        if (controller.signal.aborted) return;
        setState((s) => {
          const known = new Set(s.items.map((i) => i.style_id));
          const fresh = page.items.filter((i) => !known.has(i.style_id)).slice(0, maxItems - s.items.length);
          return {
            items: [...s.items, ...fresh],
            ids: [...s.ids, ...fresh.map(() => page.recommendation_id)],
            cursor: page.next_cursor ?? null,
            loading: false,
            loadingMore: false,
            error: null,
          };
        });
      },
      (error: unknown) => {
        busy.current = false;
        if (controller.signal.aborted) return;
        // The list was recomputed since the first page (the shopper's signals changed it): keep
        // what is shown and stop paging rather than mix two lists.
        const stale = error instanceof FramewiseError && error.status === 400 && error.field === 'cursor';
        setState((s) => ({
          ...s,
          loadingMore: false,
          cursor: stale ? null : s.cursor,
          error: stale ? null : error instanceof Error ? error : new Error(String(error)),
        }));
      },
    );
  }, [client, shopper, pageSize, placement, maxItems, hasMore, state.cursor]);

  return {
    items: state.items,
    recommendationIds: state.ids,
    recommendationId: state.ids[0] ?? null,
    loading: state.loading,
    loadingMore: state.loadingMore,
    error: state.error,
    hasMore,
    loadMore,
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}

/** The tracker of the nearest provider (null when tracking is off). */
export function useTracker(): Tracker | null {
  return useFramewise().tracker;
}

/** Counts an impression of `ref`'s element under the 50% / 1 s rule. */
export function useImpression(ref: RefObject<Element | null>, ctx: ItemContext | null): void {
  const tracker = useTracker();
  const key = ctx ? `${ctx.recommendation_id}|${ctx.placement}|${ctx.style_id}|${ctx.position}` : '';
  const latest = useRef(ctx);
  latest.current = ctx;
  useEffect(() => {
    const el = ref.current;
    if (!tracker || !el || !latest.current) return;
    return tracker.observe(el, latest.current);
  }, [tracker, ref, key]);
}

/** Any async read keyed by `deps`, with loading and error states. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): { data: T | null; loading: boolean; error: Error | null } {
  const [state, setState] = useState<{ data: T | null; loading: boolean; error: Error | null }>({ data: null, loading: true, error: null });
  useEffect(() => {
    const controller = new AbortController();
    setState({ data: null, loading: true, error: null });
    load(controller.signal).then(
      (data) => !controller.signal.aborted && setState({ data, loading: false, error: null }),
      (error: unknown) =>
        !controller.signal.aborted &&
        setState({ data: null, loading: false, error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => controller.abort();
  }, deps);
  return state;
}

export type { Tracker };
