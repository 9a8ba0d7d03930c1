import type { RecommendedItem } from '@framewise/client';
import { boxing } from './labels.js';

export interface FitBadgeProps {
  item: Pick<RecommendedItem, 'lens' | 'size'>;
}

/**
 * "Fits your prescription" when the API sent lens advice for this frame (it only does for a
 * shopper with a prescription whose lenses the frame can take), and the recommended size
 * with its boxing measurements (lens width, bridge, temple length).
 */
export function FitBadge({ item }: FitBadgeProps) {
  const { lens, size } = item;
  if (!lens && !size) return null;
  return (
    <p className="fw-fit" data-fits-prescription={lens ? 'true' : undefined}>
      {lens && (
        <span className="fw-fit__rx">
          <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false" className="fw-fit__icon">
            <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" strokeWidth="2" />
          </svg>
          Fits your prescription
        </span>
      )}
      {size && (
        <span className="fw-fit__size">
          Size {size.label}{' '}
          <abbr title={`lens ${size.lens_width} mm, bridge ${size.bridge} mm, temples ${size.temple_length} mm`}>
            {boxing(size)}
          </abbr>
        </span>
      )}
    </p>
  );
}
