import { forwardRef, useId, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import type { RecommendedItem } from '@framewise/client';
import type { ItemContext } from '@framewise/tracker';
import { useFramewise } from './context.js';
import { COLOUR_HEX, FrameOutline } from './frames.js';
import { FitBadge } from './FitBadge.js';
import { useImpression } from './hooks.js';
import { WhyThisPanel } from './WhyThis.js';

export interface ProductCardProps {
  item: RecommendedItem;
  /** 0-based position in its list. */
  position?: number;
  recommendationId?: string | null;
  placement?: string;
  /** Link target of the frame (its product page); without it the title is a button. */
  href?: string;
  /** Called after the click is tracked, with where the item was shown (client-side navigation: call preventDefault on the event). */
  onSelect?: (item: RecommendedItem, event: MouseEvent, context: ItemContext) => void;
  /** Extra controls under the card (add to cart, compare...). */
  children?: ReactNode;
  /** Heading level of the frame's name (default 3). */
  headingLevel?: 2 | 3 | 4;
  /** Track an impression of this card (default true). */
  trackImpression?: boolean;
  /** Primary control's tab index (the carousel's roving focus sets it). */
  tabIndex?: number;
}

/** The tracking context of an item in a list. */
export function itemContext(item: RecommendedItem, position?: number, recommendationId?: string | null, placement?: string): ItemContext {
  return { style_id: item.style_id, sku: item.sku ?? null, recommendation_id: recommendationId ?? null, placement: placement ?? null, position };
}

/** A frame with its picture, price, fit badge, first reason and a "Why this?" panel. */
export const ProductCard = forwardRef<HTMLElement, ProductCardProps>(function ProductCard(props, outerRef) {
  const { item, position, recommendationId, placement, href, onSelect, children, headingLevel = 3, trackImpression = true, tabIndex } = props;
  const { tracker, profile, formatPrice } = useFramewise();
  const ref = useRef<HTMLElement | null>(null);
  const [open, setOpen] = useState(false);
  const [broken, setBroken] = useState(false);
  const uid = useId();
  const ctx = itemContext(item, position, recommendationId, placement);
  useImpression(ref, trackImpression ? ctx : null);
  const H = `h${headingLevel}` as 'h3';

  const select = (event: MouseEvent) => {
    tracker?.click(ctx);
    onSelect?.(item, event, ctx);
  };
  const colour = item.colour ? COLOUR_HEX[item.colour.family] : undefined;
  const alt = `${item.name}${item.colour ? ` in ${item.colour.name}` : ''}`;

  return (
    <article
      className="fw-card"
      aria-labelledby={`${uid}-name`}
      data-style-id={item.style_id}
      ref={(el) => {
        ref.current = el;
        if (typeof outerRef === 'function') outerRef(el);
        else if (outerRef) outerRef.current = el;
      }}
    >
      <div className="fw-card__media">
        {broken ? (
          <FrameOutline shape={item.shape} fill={colour} title={alt} className="fw-card__img" />
        ) : (
          <img className="fw-card__img" src={item.image_url} alt={alt} loading="lazy" decoding="async" onError={() => setBroken(true)} />
        )}
      </div>
      <H className="fw-card__name" id={`${uid}-name`}>
        {href ? (
          <a href={href} onClick={select} className="fw-card__link" tabIndex={tabIndex} data-fw-primary="">
            {item.name}
          </a>
        ) : (
          <button type="button" onClick={select} className="fw-card__link" tabIndex={tabIndex} data-fw-primary="">
            {item.name}
          </button>
        )}
      </H>
      <p className="fw-card__meta">
        <span className="fw-card__brand">{item.brand}</span>
        <span className="fw-card__price">{formatPrice(item.price_cents, item.currency)}</span>
      </p>
      <FitBadge item={item} />
      {item.reasons[0] && <p className="fw-card__reason">{item.reasons[0].text}</p>}
      {item.reasons.length > 0 && (
        <>
          <button
            type="button"
            className="fw-card__why"
            aria-expanded={open}
            aria-controls={`${uid}-why`}
            onClick={() => setOpen((o) => !o)}
          >
            Why this?
          </button>
          {open && <WhyThisPanel item={item} profile={profile} id={`${uid}-why`} />}
        </>
      )}
      {children && <div className="fw-card__actions">{children}</div>}
    </article>
  );
});

export function SkeletonCard() {
  return (
    <div className="fw-card fw-card--skeleton" aria-hidden="true" data-testid="fw-skeleton">
      <div className="fw-card__media fw-skel" />
      <div className="fw-skel fw-skel--line" />
      <div className="fw-skel fw-skel--line fw-skel--short" />
    </div>
  );
}
