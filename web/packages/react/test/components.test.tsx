import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, type ProfileView, type RecommendationPage, type RecommendedItem } from '@framewise/client';
import { createTracker } from '@framewise/tracker';
import { FitBadge, FrameCompare, FramewiseProvider, LensAdviceCard, ProductCard, RecommendationCarousel, WhyThisPanel } from '../src/index.js';

class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}

function item(id: string, extra: Partial<RecommendedItem> = {}): RecommendedItem {
  return {
    style_id: id,
    sku: `${id}-c1-52`,
    score: 1,
    reasons: [
      { code: 'because_you_tried_on', text: `Because you tried on ${id}` },
      { code: 'suits_face_shape', text: 'Round frames soften a square face' },
    ],
    name: `Frame ${id}`,
    brand: 'Studio',
    category: 'optical',
    shape: 'round',
    rim: 'full',
    material: 'acetate',
    colourway: `${id}-c1`,
    colour: { name: 'Havana', family: 'tortoise', temperature: 'warm', value: 'medium', finish: 'glossy', pattern: 'tortoise' },
    price_cents: 12900,
    currency: 'USD',
    image_url: `/v1/products/${id}/image.svg`,
    size: { label: '52', lens_width: 52, bridge: 19, temple_length: 145, lens_height: 42, effective_diameter: 55, total_width: 136 },
    ...extra,
  };
}

function page(ids: string[], next: string | null, rec = 'rec-1'): RecommendationPage {
  return { recommendation_id: rec, model_version: 'm', generated_at: '2026-01-01T00:00:00Z', source: 'precomputed', next_cursor: next, items: ids.map((i) => item(i)) };
}

const profile: ProfileView = {
  id: 'cu-1',
  face_shape: 'square',
  undertone: 'warm',
  colour_season: 'autumn',
  face_measurements: { face_width: 138, face_length: 120 },
  prescription_on_file: true,
};

function setup(fetchImpl: typeof fetch) {
  const client = createClient({ fetch: fetchImpl, token: 'tok', sleep: async () => {} });
  const sent: { signals: { kind: string; style_id: string; recommendation_id?: string; placement?: string }[] }[] = [];
  const tracker = createTracker({ consent: true, storage: null, transport: (_u, body) => (sent.push(JSON.parse(body)), true) });
  const wrap = (ui: React.ReactNode) => (
    <FramewiseProvider client={client} tracker={tracker} consent shopper={{ customerId: 'cu-1', token: 'tok' }} profile={profile} locale="en-US">
      {ui}
    </FramewiseProvider>
  );
  return { client, tracker, sent, wrap };
}

const ok = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

beforeEach(() => vi.stubGlobal('IntersectionObserver', NoopObserver));
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('RecommendationCarousel', () => {
  it('shows skeletons while the first page loads, then the frames with their reasons', async () => {
    let resolve!: (r: Response) => void;
    const fetch = vi.fn<typeof globalThis.fetch>(() => new Promise<Response>((r) => (resolve = r)));
    const { wrap } = setup(fetch);
    render(wrap(<RecommendationCarousel pageSize={3} />));
    const region = screen.getByRole('region', { name: 'Recommended for you' });
    expect(region.getAttribute('aria-busy')).toBe('true');
    expect(screen.getAllByTestId('fw-skeleton')).toHaveLength(4);
    expect(screen.getByRole('status').textContent).toBe('Loading Recommended for you');

    await act(async () => resolve(ok(page(['a', 'b', 'c'], null))));
    expect(region.getAttribute('aria-busy')).toBe('false');
    expect(screen.queryAllByTestId('fw-skeleton')).toHaveLength(0);
    const cards = within(region).getAllByRole('article');
    expect(cards).toHaveLength(3);
    expect(within(cards[0]!).getByText('Because you tried on a')).toBeTruthy();
    expect(String(fetch.mock.calls[0]![0])).toContain('/v1/customers/cu-1/recommendations?limit=3&placement=home');
  });

  it('moves between frames with arrow keys, Home and End, and loads the next page at the end', async () => {
    const fetch = vi.fn(async (url: RequestInfo | URL) =>
      String(url).includes('cursor=c2') ? ok(page(['d', 'e'], null, 'rec-1')) : ok(page(['a', 'b', 'c'], 'c2')),
    );
    const { wrap } = setup(fetch);
    render(wrap(<RecommendationCarousel pageSize={3} />));
    const links = await screen.findAllByRole('button', { name: /^Frame / });
    expect(links.map((l) => l.tabIndex)).toEqual([0, -1, -1]);
    links[0]!.focus();
    fireEvent.keyDown(links[0]!, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(links[1]);
    fireEvent.keyDown(links[1]!, { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(links[0]);
    fireEvent.keyDown(links[0]!, { key: 'End' });
    expect(document.activeElement).toBe(links[2]);
    // Reaching the end fetched the next page through the cursor.
    await screen.findByRole('button', { name: 'Frame e' });
    expect(String(fetch.mock.calls[1]![0])).toContain('cursor=c2');
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('2 more frames loaded, 5 in all'));
    const items = screen.getAllByRole('listitem').filter((li) => li.hasAttribute('aria-posinset'));
    expect(items.map((li) => li.getAttribute('aria-posinset'))).toEqual(['1', '2', '3', '4', '5']);
    expect(items[0]!.getAttribute('aria-setsize')).toBe('5');
    fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Frame a' }));
  });

  it('keeps the frames shown and stops paging when the list was replaced (stale cursor)', async () => {
    const fetch = vi.fn(async (url: RequestInfo | URL) =>
      String(url).includes('cursor=')
        ? new Response(JSON.stringify({ error: { code: 'invalid_request', message: 'the list this cursor points into was replaced', field: 'cursor' } }), { status: 400 })
        : ok(page(['a', 'b', 'c'], 'c2')),
    );
    const { wrap } = setup(fetch);
    render(wrap(<RecommendationCarousel pageSize={3} />));
    const links = await screen.findAllByRole('button', { name: /^Frame / });
    links[0]!.focus();
    fireEvent.keyDown(links[0]!, { key: 'End' });
    await waitFor(() => expect(fetch).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(screen.getByRole('region', { name: 'Recommended for you' }).getAttribute('aria-busy')).toBe('false'));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getAllByRole('button', { name: /^Frame / })).toHaveLength(3);
    const items = screen.getAllByRole('listitem').filter((li) => li.hasAttribute('aria-posinset'));
    expect(items[0]!.getAttribute('aria-setsize')).toBe('3');
  });

  it('shows an error with a retry that refetches', async () => {
    const fetch = vi
      .fn<typeof globalThis.fetch>()
      .mockResolvedValueOnce(new Response(JSON.stringify({ error: { code: 'forbidden', message: 'no' } }), { status: 403 }))
      .mockResolvedValueOnce(ok(page(['a'], null)));
    const { wrap } = setup(fetch);
    render(wrap(<RecommendationCarousel />));
    const alert = await screen.findByRole('alert');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('button', { name: 'Frame a' })).toBeTruthy();
  });

  it('tracks a click with the list id, placement and position', async () => {
    const fetch = vi.fn(async () => ok(page(['a', 'b'], null, 'rec-42')));
    const { wrap, tracker } = setup(fetch);
    const onSelect = vi.fn();
    render(wrap(<RecommendationCarousel placement="home" onSelect={onSelect} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Frame b' }));
    expect(onSelect).toHaveBeenCalledTimes(1);
    const [event] = tracker.pending();
    expect(event!.signal).toMatchObject({ kind: 'click', style_id: 'b', recommendation_id: 'rec-42', placement: 'home', customer_id: 'cu-1' });
    expect(event!.position).toBe(1);
  });
});

describe('ProductCard and Why this?', () => {
  it('opens a visual panel: shape outline, colour against the palette, width against the face', () => {
    const { wrap } = setup(vi.fn());
    render(wrap(<ProductCard item={item('a')} />));
    const toggle = screen.getByRole('button', { name: 'Why this?' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const panel = document.getElementById(toggle.getAttribute('aria-controls')!)!;
    expect(panel.querySelector('svg[data-shape="round"]')).toBeTruthy();
    expect(within(panel).getByText(/suits your square face/)).toBeTruthy();
    expect(within(panel).getByRole('img', { name: /Havana: in your palette/ })).toBeTruthy();
    expect(within(panel).getByRole('img', { name: 'Frame 136 mm wide, your face 138 mm' })).toBeTruthy();
    expect(within(panel).getByText(/In line with your face width/)).toBeTruthy();
    expect(within(panel).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Because you tried on a', 'Round frames soften a square face']);
  });

  it('draws the frame outline when the picture fails to load', () => {
    const { wrap } = setup(vi.fn());
    render(wrap(<ProductCard item={item('a', { shape: 'aviator' })} />));
    fireEvent.error(screen.getByRole('img', { name: 'Frame a in Havana' }));
    const drawn = screen.getByRole('img', { name: 'Frame a in Havana' });
    expect(drawn.tagName.toLowerCase()).toBe('svg');
    expect(drawn.getAttribute('data-shape')).toBe('aviator');
  });

  it('fit badge: "Fits your prescription" with lens advice, and the size with its measurements', () => {
    const lens = { material: 'cr39' as const, index: 1.5, design: 'single_vision' as const, size: '52', edge_thickness_mm: 3, centre_thickness_mm: 2, reason: 'Low power' };
    const { container, rerender } = render(<FitBadge item={item('a', { lens })} />);
    expect(container.textContent).toContain('Fits your prescription');
    expect(container.textContent).toContain('Size 52 52□19-145');
    rerender(<FitBadge item={item('a', { lens: null })} />);
    expect(container.textContent).not.toContain('Fits your prescription');
    expect(container.textContent).toContain('Size 52');
  });

  it('renders reasons as text, never as HTML', () => {
    render(<WhyThisPanel item={item('a', { reasons: [{ code: 'x', text: '<img src=x onerror=alert(1)>' }] })} />);
    expect(screen.getByText('<img src=x onerror=alert(1)>')).toBeTruthy();
  });
});

describe('FrameCompare', () => {
  it('puts two to four frames side by side with measurements, fit, price and lens advice', () => {
    const { wrap } = setup(vi.fn());
    const lens = { material: 'index160' as const, index: 1.6, design: 'single_vision' as const, size: '52', edge_thickness_mm: 4.1, centre_thickness_mm: 1.9, reason: 'Thinner' };
    const five = ['a', 'b', 'c', 'd', 'e'].map((id, i) => item(id, { lens: i === 0 ? lens : null, price_cents: 10000 + i * 1000 }));
    const onRemove = vi.fn();
    render(wrap(<FrameCompare items={five} onRemove={onRemove} />));
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('columnheader')).toHaveLength(4);
    const row = (name: string) => within(screen.getByRole('rowheader', { name }).closest('tr')!).getAllByRole('cell').map((c) => c.textContent);
    expect(row('Price')).toEqual(['$100.00', '$110.00', '$120.00', '$130.00']);
    expect(row('Bridge')[0]).toBe('19 mm');
    expect(row('Fit')[0]).toBe('Fits your prescription; In line with your face width');
    expect(row('Lens advice')[0]).toContain('1.60 high-index 1.6, edge 4.1 mm');
    expect(row('Lens advice')[1]).toBe('—');
    fireEvent.click(screen.getByRole('button', { name: 'Remove Frame b from comparison' }));
    expect(onRemove).toHaveBeenCalledWith(five[1]);
  });

  it('asks for a second frame when given one', () => {
    const { wrap } = setup(vi.fn());
    render(wrap(<FrameCompare items={[item('a')]} />));
    expect(screen.queryByRole('table')).toBeNull();
    expect(screen.getByText(/at least two frames/)).toBeTruthy();
  });
});

describe('LensAdviceCard', () => {
  it('fetches the advice for the frame and shows material, design and coatings with reasons', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () =>
      ok({
        material: 'trivex',
        index: 1.53,
        material_reason: 'Rimless mounts are drilled',
        design: 'single_vision',
        design_reason: 'No reading addition',
        treatments: [{ kind: 'anti_reflective', inclusion: 'recommended', reason: 'Less glare' }],
        frame: { allowed: true, score: 1, size_label: '49', material: 'trivex', design: 'single_vision', decentration_mm: 1, min_blank_size_mm: 54, thickness: { centre: 1.5, edge: 2.3 }, findings: [] },
      }),
    );
    const { wrap } = setup(fetch);
    render(wrap(<LensAdviceCard styleId="st-9" />));
    expect(await screen.findByText(/Trivex \(index 1.53\)/)).toBeTruthy();
    expect(screen.getByText('Size 49: edge 2.3 mm, centre 1.5 mm')).toBeTruthy();
    expect(screen.getByText('Anti-reflective')).toBeTruthy();
    expect(String(fetch.mock.calls[0]![0])).toBe('/v1/customers/cu-1/lens-recommendation?style_id=st-9');
  });

  it('asks for a prescription when the API has none (404)', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ error: { code: 'not_found', message: 'no prescription' } }), { status: 404 }));
    const { wrap } = setup(fetch);
    render(wrap(<LensAdviceCard />));
    await waitFor(() => expect(screen.getByText(/Add your prescription/)).toBeTruthy());
  });
});
