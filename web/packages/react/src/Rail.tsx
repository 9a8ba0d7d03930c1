import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';
import type { RecommendedItem } from '@framewise/client';
import type { ItemContext } from '@framewise/tracker';
import { ProductCard, SkeletonCard, itemContext } from './ProductCard.js';

export interface RailProps {
  title: string;
  items: RecommendedItem[];
  /** The list id of each item (or one for all), for attribution. */
  recommendationIds?: (string | null)[] | string | null;
  placement?: string;
  loading?: boolean;
  loadingMore?: boolean;
  error?: Error | null;
  hasMore?: boolean;
  loadMore?: () => void;
  onRetry?: () => void;
  /** Skeleton cards shown while the first page loads (default 4). */
  skeletons?: number;
  getHref?: (item: RecommendedItem) => string | undefined;
  onSelect?: (item: RecommendedItem, event: MouseEvent, context: ItemContext) => void;
  /** Controls under each card; `context` names the list, placement and position (for the tracker). */
  renderActions?: (item: RecommendedItem, context: ItemContext) => ReactNode;
  emptyText?: string;
  headingLevel?: 2 | 3;
  className?: string;
}

/**
 * A horizontal list of frames: skeletons while loading, more pages loaded when its end
 * scrolls into view or is reached by keyboard, arrow keys / Home / End moving between
 * frames (one tab stop for the whole list), position announced to screen readers.
 */
export function Rail(props: RailProps) {
  const {
    title,
    items,
    placement,
    loading = false,
    loadingMore = false,
    error = null,
    hasMore = false,
    loadMore,
    onRetry,
    skeletons = 4,
    getHref,
    onSelect,
    renderActions,
    emptyText = 'Nothing to show yet.',
    headingLevel = 2,
    className,
  } = props;
  const uid = useId();
  const listRef = useRef<HTMLUListElement>(null);
  const sentinelRef = useRef<HTMLLIElement>(null);
  const [active, setActive] = useState(0);
  const [announce, setAnnounce] = useState('');
  const previousCount = useRef(items.length);
  const H = `h${headingLevel}` as 'h2';

  const recId = (i: number) => {
    const ids = props.recommendationIds;
    return Array.isArray(ids) ? (ids[i] ?? null) : (ids ?? null);
  };

  // Announce pages loaded after the first one.
  useEffect(() => {
    const before = previousCount.current;
    if (items.length > before && before > 0) setAnnounce(`${items.length - before} more frames loaded, ${items.length} in all`);
    previousCount.current = items.length;
    if (active >= items.length && items.length > 0) setActive(items.length - 1);
  }, [items.length, active]);

  // Lazy paging: load the next page when the end of the list comes into view.
  useEffect(() => {
    const el = sentinelRef.current;
    if (!el || !hasMore || !loadMore || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), {
      root: listRef.current,
      rootMargin: '0px 200px 0px 0px',
    });
    io.observe(el);
    return () => io.disconnect();
  }, [hasMore, loadMore, items.length]);

  const focusItem = useCallback(
    (i: number) => {
      const n = Math.max(0, Math.min(items.length - 1, i));
      setActive(n);
      const li = listRef.current?.children[n] as HTMLElement | undefined;
      const primary = li?.querySelector<HTMLElement>('[data-fw-primary]');
      primary?.focus();
      li?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
      if (n >= items.length - 2 && hasMore) loadMore?.();
    },
    [items.length, hasMore, loadMore],
  );

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    const target = e.target as HTMLElement;
    if (!target.hasAttribute('data-fw-primary')) return;
    const keys: Record<string, number> = { ArrowRight: active + 1, ArrowLeft: active - 1, Home: 0, End: items.length - 1 };
    const next = keys[e.key];
    if (next === undefined) return;
    e.preventDefault();
    focusItem(next);
  };

  const scrollBy = (dir: 1 | -1) => {
    const list = listRef.current;
    if (!list) return;
    if (dir > 0 && hasMore && list.scrollLeft + list.clientWidth * 2 >= list.scrollWidth) loadMore?.();
    list.scrollBy?.({ left: dir * list.clientWidth * 0.9, behavior: 'smooth' });
  };

  const busy = loading || loadingMore;
  return (
    <section
      className={`fw-rail${className ? ` ${className}` : ''}`}
      aria-labelledby={`${uid}-title`}
      aria-roledescription="carousel"
      aria-busy={busy}
    >
      <div className="fw-rail__head">
        <H id={`${uid}-title`} className="fw-rail__title">
          {title}
        </H>
        {!loading && items.length > 1 && (
          <div className="fw-rail__nav">
            <button type="button" className="fw-rail__btn" onClick={() => scrollBy(-1)} aria-label={`Previous frames in ${title}`}>
              <span aria-hidden="true">‹</span>
            </button>
            <button type="button" className="fw-rail__btn" onClick={() => scrollBy(1)} aria-label={`Next frames in ${title}`}>
              <span aria-hidden="true">›</span>
            </button>
          </div>
        )}
      </div>
      <p className="fw-sr-only" id={`${uid}-help`}>
        Use the left and right arrow keys to move between frames.
      </p>
      <div className="fw-sr-only" role="status" aria-live="polite">
        {loading ? `Loading ${title}` : announce}
      </div>
      {error && items.length === 0 ? (
        <div className="fw-rail__error" role="alert">
          <p>We could not load these frames.</p>
          {onRetry && (
            <button type="button" className="fw-button" onClick={onRetry}>
              Try again
            </button>
          )}
        </div>
      ) : loading ? (
        <div className="fw-rail__list" data-loading="">
          {Array.from({ length: skeletons }, (_, i) => (
            <SkeletonCard key={i} />
          ))}
        </div>
      ) : items.length === 0 ? (
        <p className="fw-rail__empty">{emptyText}</p>
      ) : (
        <ul className="fw-rail__list" ref={listRef} onKeyDown={onKeyDown} aria-describedby={`${uid}-help`}>
          {items.map((item, i) => (
            <li
              key={item.style_id}
              className="fw-rail__item"
              aria-posinset={i + 1}
              aria-setsize={hasMore ? -1 : items.length}
              onFocus={() => setActive(i)}
            >
              <ProductCard
                item={item}
                position={i}
                recommendationId={recId(i)}
                placement={placement}
                href={getHref?.(item)}
                onSelect={onSelect}
                headingLevel={headingLevel === 2 ? 3 : 4}
                tabIndex={i === active ? 0 : -1}
              >
                {renderActions?.(item, itemContext(item, i, recId(i), placement))}
              </ProductCard>
            </li>
          ))}
          {hasMore && !error && (
            <li className="fw-rail__item fw-rail__more" ref={sentinelRef} aria-hidden="true">
              {loadingMore && <SkeletonCard />}
            </li>
          )}
          {error && hasMore && (
            <li className="fw-rail__item fw-rail__more fw-rail__error" role="alert">
              <p>More frames could not be loaded.</p>
              <button type="button" className="fw-button" onClick={() => loadMore?.()}>
                Try again
              </button>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
