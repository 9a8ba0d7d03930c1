// The Framewise demo shop: served by `framewise serve --demo` at `/`, built from the packages
// a real shop would use (@framewise/client, @framewise/tracker, @framewise/react).
import '../../packages/react/src/styles.css';
import './demo.css';
import { StrictMode, useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type MouseEvent, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, type ProfileBody, type ProfileView, type RecommendedItem, type Style } from '@framewise/client';
import { createTracker, type ItemContext } from '@framewise/tracker';
import {
  AlsoBought,
  COLOUR_HEX,
  FitBadge,
  FrameCompare,
  FrameOutline,
  FramewiseProvider,
  LensAdviceCard,
  RecommendationCarousel,
  SimilarFrames,
  TrendingStrip,
  boxing,
  useAsync,
  useFramewise,
  useTracker,
} from '@framewise/react';
import { fetchShoppers, load, parseRoute, save, sessionId, type CartLine, type DemoShopper, type Origin, type Route } from './shop.js';

const tracker = createTracker({ baseUrl: '', context: { device: 'web' } });
const NO_ORIGIN: Origin = { recommendation_id: null, placement: null, position: undefined };
type Actions = (item: RecommendedItem, ctx: ItemContext) => ReactNode;
const originOf = (ctx: ItemContext): Origin => ({ recommendation_id: ctx.recommendation_id ?? null, placement: ctx.placement ?? null, position: ctx.position });

function useRoute(): [Route, (path: string, state?: unknown) => void] {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = useCallback((path: string, state?: unknown) => {
    history.pushState(state ?? null, '', path);
    setRoute(parseRoute(path));
    scrollTo(0, 0);
  }, []);
  return [route, go];
}

/** Same-page navigation for plain links (modifier clicks open tabs as usual). */
function linkHandler(go: (path: string) => void) {
  return (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(e.currentTarget.getAttribute('href')!);
  };
}

function App() {
  const [route, go] = useRoute();
  const [shoppers, setShoppers] = useState<DemoShopper[] | null>(null);
  const [customerId, setCustomerId] = useState<string | null>(() => load('shopper', null));
  const [consent, setConsent] = useState<boolean | null>(() => load('consent', null));
  const [cart, setCart] = useState<CartLine[]>(() => load('cart', []));
  const [compare, setCompare] = useState<RecommendedItem[]>([]);
  const [listVersion, setListVersion] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  const compareRef = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    void fetchShoppers().then(({ shoppers }) => {
      setShoppers(shoppers);
      setCustomerId((current) => (current && shoppers.some((s) => s.customer_id === current) ? current : (shoppers[0]?.customer_id ?? null)));
    });
  }, []);
  const shopper = shoppers?.find((s) => s.customer_id === customerId) ?? null;
  const who = useMemo(
    () => (shopper ? { customerId: shopper.customer_id, token: shopper.token, sessionId: sessionId() } : { sessionId: sessionId() }),
    [shopper],
  );
  const client = useMemo(() => createClient({ token: shopper?.token }), [shopper]);
  const [profileVersion, setProfileVersion] = useState(0);
  const profile = useAsync<ProfileView | null>(
    (signal) => (shopper ? client.profile(shopper.customer_id, {}, signal).catch(() => null) : Promise.resolve(null)),
    [client, shopper, profileVersion],
  ).data;

  useEffect(() => save('cart', cart), [cart]);
  const switchShopper = (id: string) => {
    tracker.flush();
    setCustomerId(id);
    save('shopper', id);
    setCart([]);
    setCompare([]);
  };
  const decide = (value: boolean) => {
    setConsent(value);
    save('consent', value);
  };
  const toggleCompare = (item: RecommendedItem) =>
    setCompare((c) => (c.some((i) => i.style_id === item.style_id) ? c.filter((i) => i.style_id !== item.style_id) : c.length >= 4 ? c : [...c, item]));
  const addToCart = (item: RecommendedItem, origin: Origin) => {
    tracker.addToCart({ style_id: item.style_id, sku: item.sku ?? null, ...origin });
    setCart((c) => (c.some((l) => l.item.style_id === item.style_id) ? c : [...c, { item, origin, quantity: 1 }]));
    setNotice(`${item.name} added to your cart`);
  };
  const refreshSoon = () => {
    // The worker applies the purchase and recomputes the list within a few seconds.
    for (const ms of [1500, 4000, 8000]) setTimeout(() => setListVersion((v) => v + 1), ms);
  };

  if (shoppers === null) return <p className="demo-loading">Loading the shop…</p>;
  const cartCount = cart.reduce((n, l) => n + l.quantity, 0);
  const link = linkHandler(go);
  const actions: Actions = (item, ctx) => {
    const inCompare = compare.some((i) => i.style_id === item.style_id);
    return (
      <>
        <button type="button" className="fw-button fw-button--primary" onClick={() => addToCart(item, originOf(ctx))}>
          Add to cart
        </button>
        <button type="button" className="fw-button" aria-pressed={inCompare} onClick={() => toggleCompare(item)} disabled={!inCompare && compare.length >= 4}>
          {inCompare ? 'Comparing' : 'Compare'}
        </button>
      </>
    );
  };

  return (
    <FramewiseProvider shopper={who} client={client} tracker={tracker} consent={consent === true} profile={profile} locale="en-US">
      <a className="demo-skip" href="#main">
        Skip to content
      </a>
      <header className="demo-header">
        <a href="/" onClick={link} className="demo-brand">
          <FrameOutline shape="round" /> Framewise Optics
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={link} aria-current={route.page === 'home' ? 'page' : undefined}>
            Home
          </a>
          <a href="/profile" onClick={link} aria-current={route.page === 'profile' ? 'page' : undefined}>
            Profile
          </a>
          <a href="/cart" onClick={link} aria-current={route.page === 'cart' ? 'page' : undefined}>
            Cart ({cartCount})
          </a>
        </nav>
        <button type="button" className="fw-button" onClick={() => compareRef.current?.showModal()} disabled={compare.length === 0}>
          Compare ({compare.length})
        </button>
        {shoppers.length > 0 ? (
          <label className="demo-switcher">
            Shopper{' '}
            <select value={customerId ?? ''} onChange={(e) => switchShopper(e.target.value)}>
              {shoppers.map((s) => (
                <option key={s.customer_id} value={s.customer_id}>
                  {s.name} ({s.customer_id})
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="demo-switcher">Anonymous visitor</span>
        )}
      </header>
      <div role="status" aria-live="polite" className="demo-notice">
        {notice}
      </div>
      <main id="main" className="demo-main">
        {route.page === 'home' && (
          <Home
            actions={actions}
            refreshKey={`${listVersion}:${customerId}`}
            onSelect={(item, origin, e) => {
              e.preventDefault();
              go(`/product/${item.style_id}`, origin);
            }}
            shopperName={shopper?.name ?? null}
          />
        )}
        {route.page === 'product' && (
          <Product
            key={route.styleId}
            styleId={route.styleId}
            origin={(history.state as Origin | null) ?? NO_ORIGIN}
            onAdd={addToCart}
            actions={actions}
            go={go}
            inCompare={compare.some((i) => i.style_id === route.styleId)}
            onCompare={toggleCompare}
          />
        )}
        {route.page === 'profile' &&
          (shopper ? (
            <ProfileForm customerId={shopper.customer_id} name={shopper.name} onSaved={() => (setProfileVersion((v) => v + 1), setListVersion((v) => v + 1))} />
          ) : (
            <p>Profiles need a signed-in shopper (run `framewise serve --demo`).</p>
          ))}
        {route.page === 'cart' && (
          <Cart
            lines={cart}
            onRemove={(id) => setCart((c) => c.filter((l) => l.item.style_id !== id))}
            onBought={() => {
              setCart([]);
              setNotice('Thank you for your order! Your recommendations update in a moment.');
              refreshSoon();
              go('/');
            }}
          />
        )}
        {route.page === 'missing' && (
          <p>
            No such page. <a href="/" onClick={link}>Back to the shop</a>
          </p>
        )}
      </main>
      <dialog ref={compareRef} className="demo-compare" aria-labelledby="compare-title">
        <div className="demo-compare__head">
          <h2 id="compare-title">Compare frames</h2>
          <button type="button" className="fw-button" onClick={() => compareRef.current?.close()}>
            Close
          </button>
        </div>
        <FrameCompare items={compare} onRemove={toggleCompare} />
      </dialog>
      {consent === null && (
        <section className="demo-consent" aria-label="Privacy choices">
          <p>This demo shop records what you look at and click to personalise your frames (no cookies, nothing leaves this server).</p>
          <button type="button" className="fw-button fw-button--primary" onClick={() => decide(true)}>
            Allow personalisation
          </button>
          <button type="button" className="fw-button" onClick={() => decide(false)}>
            No thanks
          </button>
        </section>
      )}
      <footer className="demo-footer">
        Framewise demo shop · frames are generated demo data · <a href="/openapi.json">API document</a>
      </footer>
    </FramewiseProvider>
  );
}

function Home(props: { actions: Actions; refreshKey: string; onSelect: (item: RecommendedItem, origin: Origin, e: MouseEvent) => void; shopperName: string | null }) {
  return (
    <>
      <section className="demo-hero">
        <h1>{props.shopperName ? `Frames for ${props.shopperName}` : 'Frames for you'}</h1>
        <p>Every pick says why it is here. Open “Why this?” to see the shape, colour and size that matched.</p>
      </section>
      <RecommendationCarousel
        title="Recommended for you"
        placement="home"
        pageSize={8}
        maxItems={32}
        refreshKey={props.refreshKey}
        getHref={(i) => `/product/${i.style_id}`}
        renderActions={props.actions}
        onSelect={(item, e, ctx) => props.onSelect(item, originOf(ctx), e)}
      />
      <TrendingStrip
        title="Trending in sunglasses"
        category="sun"
        limit={10}
        renderActions={props.actions}
        getHref={(i) => `/product/${i.style_id}`}
        onSelect={(item, e, ctx) => props.onSelect(item, originOf(ctx), e)}
      />
    </>
  );
}

function Product(props: {
  styleId: string;
  origin: Origin;
  onAdd: (item: RecommendedItem, origin: Origin) => void;
  actions: Actions;
  go: (path: string, state?: unknown) => void;
  inCompare: boolean;
  onCompare: (item: RecommendedItem) => void;
}) {
  const { client, shopper, formatPrice } = useFramewise();
  const tracker = useTracker();
  const { data: style, loading, error } = useAsync<Style>((signal) => client.product(props.styleId, signal), [client, props.styleId]);
  const [colourway, setColourway] = useState(0);
  // Where the shopper came from (a list's id, placement and position), fixed for this page.
  const [origin] = useState(props.origin);
  useEffect(() => {
    if (style) tracker?.view({ style_id: style.id, ...origin });
  }, [style, tracker, origin]);
  if (loading) return <p aria-busy="true">Loading frame…</p>;
  if (error || !style) return <p role="alert">This frame could not be loaded.</p>;
  const cw = style.colourways[colourway] ?? style.colourways[0];
  const size = style.sizes[Math.floor(style.sizes.length / 2)] ?? style.sizes[0] ?? null;
  const variant = cw?.variants.find((v) => v.size === size?.label && v.stock > 0) ?? cw?.variants.find((v) => v.stock > 0);
  const item: RecommendedItem = {
    style_id: style.id,
    sku: variant?.sku ?? null,
    score: 0,
    reasons: [],
    name: style.name,
    brand: style.brand,
    category: style.category,
    shape: style.shape,
    rim: style.rim,
    material: style.material,
    colourway: cw?.code ?? null,
    colour: cw?.colour ?? null,
    price_cents: style.price_cents,
    currency: style.currency ?? 'USD',
    image_url: cw?.image_url ?? style.image_url,
    size: style.sizes.find((s) => s.label === variant?.size) ?? size,
  };
  const related = (item: RecommendedItem, e: MouseEvent, ctx: ItemContext) => {
    e.preventDefault();
    props.go(`/product/${item.style_id}`, originOf(ctx));
  };
  return (
    <article className="demo-product" aria-labelledby="product-title">
      <div className="demo-product__top">
        <ProductImage src={item.image_url} alt={`${style.name}${cw ? ` in ${cw.colour.name}` : ''}`} item={item} />
        <div className="demo-product__info">
          <p className="demo-product__brand">{style.brand}</p>
          <h1 id="product-title">{style.name}</h1>
          <p className="demo-product__price">{formatPrice(style.price_cents, style.currency ?? 'USD')}</p>
          <FitBadge item={item} />
          {style.colourways.length > 1 && (
            <fieldset className="demo-colourways">
              <legend>Colour: {cw?.colour.name}</legend>
              {style.colourways.map((c, i) => (
                <label key={c.code} className="demo-colourway" title={c.colour.name}>
                  <input type="radio" name="colourway" checked={i === colourway} onChange={() => setColourway(i)} />
                  <span className="fw-swatch fw-swatch--frame" style={{ background: COLOUR_HEX[c.colour.family] }} />
                  <span className="fw-sr-only">{c.colour.name}</span>
                </label>
              ))}
            </fieldset>
          )}
          <div className="demo-product__buttons">
            <button type="button" className="fw-button fw-button--primary" onClick={() => props.onAdd(item, origin)}>
              Add to cart
            </button>
            <button type="button" className="fw-button" onClick={() => tracker?.tryOn({ style_id: style.id, sku: item.sku ?? null, ...origin })}>
              Try on
            </button>
            <button type="button" className="fw-button" aria-pressed={props.inCompare} onClick={() => props.onCompare(item)}>
              {props.inCompare ? 'Comparing' : 'Compare'}
            </button>
          </div>
          <table className="demo-sizes">
            <caption>Sizes (mm)</caption>
            <thead>
              <tr>
                <th scope="col">Size</th>
                <th scope="col">Lens × bridge – temple</th>
                <th scope="col">Lens height</th>
                <th scope="col">Total width</th>
              </tr>
            </thead>
            <tbody>
              {style.sizes.map((s) => (
                <tr key={s.label}>
                  <th scope="row">{s.label}</th>
                  <td>{boxing(s)}</td>
                  <td>{s.lens_height}</td>
                  <td>{s.total_width}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      {shopper.customerId && <LensAdviceCard styleId={style.id} />}
      <SimilarFrames styleId={style.id} limit={8} headingLevel={2} renderActions={props.actions} getHref={(i) => `/product/${i.style_id}`} onSelect={related} />
      <AlsoBought styleId={style.id} limit={8} headingLevel={2} renderActions={props.actions} getHref={(i) => `/product/${i.style_id}`} onSelect={related} />
    </article>
  );
}

function ProductImage({ src, alt, item }: { src: string; alt: string; item: RecommendedItem }) {
  const [broken, setBroken] = useState(false);
  useEffect(() => setBroken(false), [src]);
  return (
    <div className="demo-product__media">
      {broken ? (
        <FrameOutline shape={item.shape} fill={item.colour ? COLOUR_HEX[item.colour.family] : undefined} title={alt} />
      ) : (
        <img src={src} alt={alt} onError={() => setBroken(true)} />
      )}
    </div>
  );
}

const FACE_SHAPES = ['oval', 'round', 'square', 'oblong', 'heart', 'diamond', 'triangle'] as const;
const UNDERTONES = ['warm', 'cool', 'neutral'] as const;
const SEASONS = ['spring', 'summer', 'autumn', 'winter'] as const;

function ProfileForm({ customerId, name, onSaved }: { customerId: string; name: string; onSaved: () => void }) {
  const { client } = useFramewise();
  const { data: current, loading } = useAsync<ProfileView | null>(
    (signal) => client.profile(customerId, { include: 'prescription' }, signal).catch(() => null),
    [client, customerId],
  );
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  if (loading) return <p aria-busy="true">Loading your profile…</p>;

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (k: string) => {
      const v = String(form.get(k) ?? '').trim();
      return v === '' ? null : v;
    };
    const num = (k: string) => (text(k) === null ? null : Number(text(k)));
    const width = num('face_width');
    const length = num('face_length');
    // PUT replaces the whole profile: keep what this form does not edit.
    const body: ProfileBody = {
      age_band: current?.age_band ?? null,
      preferences: current?.preferences,
      face_shape: text('face_shape') as ProfileBody['face_shape'],
      undertone: text('undertone') as ProfileBody['undertone'],
      colour_season: text('colour_season') as ProfileBody['colour_season'],
      face_measurements: width !== null && length !== null ? { face_width: width, face_length: length } : null,
      prescription: text('prescription') ?? (form.get('keep_rx') ? (current?.prescription ?? null) : null),
    };
    try {
      await client.putProfile(customerId, body);
      setStatus({ ok: true, text: 'Saved. Your recommendations are being updated.' });
      onSaved();
    } catch (err) {
      setStatus({ ok: false, text: err instanceof Error ? err.message : String(err) });
    }
  };

  const select = (field: string, label: string, options: readonly string[], value: string | null | undefined) => (
    <label className="demo-field">
      {label}
      <select name={field} defaultValue={value ?? ''}>
        <option value="">Not set</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form className="demo-profile" onSubmit={(e) => void submit(e)} aria-labelledby="profile-title">
      <h1 id="profile-title">{name}’s profile</h1>
      <fieldset>
        <legend>Face</legend>
        {select('face_shape', 'Face shape', FACE_SHAPES, current?.face_shape)}
        <label className="demo-field">
          Face width (mm)
          <input name="face_width" type="number" min={90} max={200} step={0.5} defaultValue={current?.face_measurements?.face_width ?? ''} />
        </label>
        <label className="demo-field">
          Face length (mm)
          <input name="face_length" type="number" min={90} max={250} step={0.5} defaultValue={current?.face_measurements?.face_length ?? ''} />
        </label>
      </fieldset>
      <fieldset>
        <legend>Colouring</legend>
        {select('undertone', 'Skin undertone', UNDERTONES, current?.undertone)}
        {select('colour_season', 'Colour season', SEASONS, current?.colour_season)}
      </fieldset>
      <fieldset>
        <legend>Prescription</legend>
        <label className="demo-field demo-field--wide">
          As written by your optician
          <input name="prescription" type="text" placeholder="OD -2.25 -0.75 x 180 OS -2.00 DS PD 63" autoComplete="off" />
        </label>
        {current?.prescription_on_file && (
          <label className="demo-check">
            <input type="checkbox" name="keep_rx" defaultChecked /> Keep the prescription on file
          </label>
        )}
      </fieldset>
      <button type="submit" className="fw-button fw-button--primary">
        Save profile
      </button>
      {status && (
        <p role={status.ok ? 'status' : 'alert'} className={status.ok ? 'demo-ok' : 'demo-error'}>
          {status.text}
        </p>
      )}
    </form>
  );
}

function Cart({ lines, onRemove, onBought }: { lines: CartLine[]; onRemove: (styleId: string) => void; onBought: () => void }) {
  const { formatPrice } = useFramewise();
  const tracker = useTracker();
  if (lines.length === 0) return <p>Your cart is empty.</p>;
  const total = lines.reduce((n, l) => n + l.item.price_cents * l.quantity, 0);
  const buy = () => {
    const order = `ord-${Date.now().toString(36)}`;
    for (const l of lines) {
      tracker?.purchase({ style_id: l.item.style_id, sku: l.item.sku ?? null, ...l.origin }, { order_id: order, price_cents: l.item.price_cents, quantity: l.quantity });
    }
    tracker?.flush();
    onBought();
  };
  return (
    <section aria-labelledby="cart-title" className="demo-cart">
      <h1 id="cart-title">Your cart</h1>
      <ul>
        {lines.map((l) => (
          <li key={l.item.style_id} className="demo-cart__line">
            <FrameOutline shape={l.item.shape} fill={l.item.colour ? COLOUR_HEX[l.item.colour.family] : undefined} />
            <span>
              {l.item.name} <small>{l.item.colour?.name}</small>
            </span>
            <span>{formatPrice(l.item.price_cents * l.quantity, l.item.currency)}</span>
            <button type="button" className="fw-button" onClick={() => onRemove(l.item.style_id)} aria-label={`Remove ${l.item.name}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <p className="demo-cart__total">Total {formatPrice(total, lines[0]!.item.currency)}</p>
      <button type="button" className="fw-button fw-button--primary" onClick={buy}>
        Buy now
      </button>
    </section>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
