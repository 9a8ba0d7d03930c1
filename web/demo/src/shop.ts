// Demo shop state kept in the browser: who is shopping, consent, cart and the comparison.
import type { RecommendedItem } from '@framewise/client';

export interface DemoShopper {
  customer_id: string;
  name: string;
  token: string;
}

/** Where an item in the cart came from, so its add-to-cart and purchase are attributed. */
export interface Origin {
  recommendation_id: string | null;
  placement: string | null;
  position: number | undefined;
}

export interface CartLine {
  item: RecommendedItem;
  origin: Origin;
  quantity: number;
}

const KEY = 'framewise-demo';

export function load<T>(name: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(`${KEY}.${name}`);
    return raw ? (JSON.parse(raw) as T) : fallback;
  } catch {
    return fallback;
  }
}

export function save(name: string, value: unknown): void {
  try {
    localStorage.setItem(`${KEY}.${name}`, JSON.stringify(value));
  } catch {
    // Private mode: the demo still works for this page view.
  }
}

/** A stable anonymous session id for this browser. */
export function sessionId(): string {
  let id = load<string | null>('session', null);
  if (!id) {
    id = `sess-${Math.random().toString(36).slice(2, 12)}`;
    save('session', id);
  }
  return id;
}

export async function fetchShoppers(): Promise<{ shoppers: DemoShopper[] }> {
  try {
    const res = await fetch('/demo/shoppers', { headers: { accept: 'application/json' } });
    if (!res.ok) return { shoppers: [] };
    const body = (await res.json()) as { shoppers?: DemoShopper[] };
    return { shoppers: body.shoppers ?? [] };
  } catch {
    return { shoppers: [] };
  }
}

export type Route = { page: 'home' } | { page: 'product'; styleId: string } | { page: 'profile' } | { page: 'cart' } | { page: 'missing' };

export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { page: 'home' };
  const product = /^\/product\/([A-Za-z0-9_.:-]+)\/?$/.exec(path);
  if (product) return { page: 'product', styleId: product[1]! };
  if (path === '/profile') return { page: 'profile' };
  if (path === '/cart') return { page: 'cart' };
  return { page: 'missing' };
}
