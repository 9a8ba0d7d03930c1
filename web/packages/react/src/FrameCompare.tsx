import type { ReactNode } from 'react';
import type { RecommendedItem } from '@framewise/client';
import { useFramewise } from './context.js';
import { COLOUR_HEX, FrameOutline, SHAPE_LABEL } from './frames.js';
import { LENS_MATERIAL_LABEL, MATERIAL_LABEL, RIM_LABEL, fmtMm } from './labels.js';
import { widthVerdict } from './WhyThis.js';

export interface FrameCompareProps {
  /** Two to four frames (more are cut to four). */
  items: RecommendedItem[];
  onRemove?: (item: RecommendedItem) => void;
  caption?: string;
}

type Row = [label: string, cell: (item: RecommendedItem) => ReactNode];

/** Frames side by side: picture, price, shape, measurements, fit and lens advice. */
export function FrameCompare({ items, onRemove, caption = 'Compare frames' }: FrameCompareProps) {
  const { profile, formatPrice } = useFramewise();
  const shown = items.slice(0, 4);
  if (shown.length < 2) {
    return <p className="fw-compare__hint">Choose at least two frames to compare (up to four).</p>;
  }
  const faceWidth = profile?.face_measurements?.face_width ?? null;
  const mm = (pick: (s: NonNullable<RecommendedItem['size']>) => number) => (i: RecommendedItem) => (i.size ? fmtMm(pick(i.size)) : '—');
  const rows: Row[] = [
    ['Price', (i) => formatPrice(i.price_cents, i.currency)],
    ['Shape', (i) => SHAPE_LABEL[i.shape]],
    ['Material', (i) => `${MATERIAL_LABEL[i.material]}, ${RIM_LABEL[i.rim].toLowerCase()}`],
    ['Colour', (i) => i.colour?.name ?? '—'],
    ['Size', (i) => i.size?.label ?? '—'],
    ['Lens width', mm((s) => s.lens_width)],
    ['Bridge', mm((s) => s.bridge)],
    ['Temples', mm((s) => s.temple_length)],
    ['Lens height', mm((s) => s.lens_height)],
    ['Total width', mm((s) => s.total_width)],
    [
      'Fit',
      (i) => {
        const parts: string[] = [];
        if (i.lens) parts.push('Fits your prescription');
        if (i.size && faceWidth) parts.push(widthVerdict(i.size.total_width, faceWidth).text);
        return parts.length ? parts.join('; ') : '—';
      },
    ],
    [
      'Lens advice',
      (i) =>
        i.lens ? (
          <>
            {LENS_MATERIAL_LABEL[i.lens.material]} {i.lens.index}, edge {fmtMm(i.lens.edge_thickness_mm)}
            <small className="fw-compare__note">{i.lens.reason}</small>
          </>
        ) : (
          '—'
        ),
    ],
  ];
  return (
    <div className="fw-compare" role="region" aria-label={caption} tabIndex={0}>
      <table className="fw-compare__table">
        <caption className="fw-sr-only">{caption}</caption>
        <thead>
          <tr>
            <td />
            {shown.map((i) => (
              <th key={i.style_id} scope="col">
                <FrameOutline shape={i.shape} fill={i.colour ? COLOUR_HEX[i.colour.family] : undefined} />
                <span className="fw-compare__name">{i.name}</span>
                {onRemove && (
                  <button type="button" className="fw-compare__remove" onClick={() => onRemove(i)} aria-label={`Remove ${i.name} from comparison`}>
                    ×
                  </button>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, cell]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              {shown.map((i) => (
                <td key={i.style_id}>{cell(i)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
