import type { ProfileView, RecommendedItem } from '@framewise/client';
import { COLOUR_HEX, FrameOutline, SHAPE_LABEL, paletteFor } from './frames.js';
import { fmtMm } from './labels.js';

export interface WhyThisPanelProps {
  item: RecommendedItem;
  profile?: ProfileView | null;
  id?: string;
}

/** How close a frame's total width is to a face width, in words. */
export function widthVerdict(frameWidth: number, faceWidth: number): { fits: boolean; text: string } {
  const diff = Math.round(frameWidth - faceWidth);
  if (Math.abs(diff) <= 6) return { fits: true, text: 'In line with your face width' };
  return diff > 0
    ? { fits: false, text: `${diff} mm wider than your face` }
    : { fits: false, text: `${-diff} mm narrower than your face` };
}

/**
 * The matched features drawn, not only told: the frame's shape outline, its colour against
 * the shopper's palette, its width against their face width; then every reason the API gave.
 */
export function WhyThisPanel({ item, profile, id }: WhyThisPanelProps) {
  const codes = new Set(item.reasons.map((r) => r.code));
  const face = profile?.face_shape ?? profile?.measured_face_shape ?? null;
  const palette = paletteFor(profile?.undertone, profile?.colour_season);
  const family = item.colour?.family;
  const inPalette = family != null && palette.includes(family);
  const faceWidth = profile?.face_measurements?.face_width ?? null;
  const size = item.size;
  const scale = size && faceWidth ? 100 / Math.max(size.total_width, faceWidth, 1) : 0;

  return (
    <div className="fw-why" id={id}>
      <div className="fw-why__features">
        <figure className="fw-why__feature" data-matched={codes.has('suits_face_shape') || undefined}>
          <FrameOutline shape={item.shape} fill={family ? COLOUR_HEX[family] : 'none'} />
          <figcaption>
            {SHAPE_LABEL[item.shape]} shape
            {face && codes.has('suits_face_shape') && <span className="fw-why__match"> · suits your {face} face</span>}
          </figcaption>
        </figure>

        {item.colour && family && (
          <figure className="fw-why__feature" data-matched={inPalette || undefined}>
            <div className="fw-swatches" role="img" aria-label={palette.length > 0 ? `${item.colour.name}: ${inPalette ? 'in' : 'not in'} your palette of ${palette.join(', ')}` : item.colour.name}>
              <span className="fw-swatch fw-swatch--frame" style={{ background: COLOUR_HEX[family] }} />
              {palette.length > 0 && <span className="fw-swatches__vs" aria-hidden="true">vs</span>}
              {palette.map((f) => (
                <span key={f} className={`fw-swatch${f === family ? ' fw-swatch--match' : ''}`} style={{ background: COLOUR_HEX[f] }} title={f} />
              ))}
            </div>
            <figcaption>
              {item.colour.name}
              {palette.length > 0 && <span className="fw-why__match">{inPalette ? ' · in your palette' : ' · outside your palette'}</span>}
            </figcaption>
          </figure>
        )}

        {size && faceWidth ? (
          <figure className="fw-why__feature" data-matched={widthVerdict(size.total_width, faceWidth).fits || undefined}>
            <svg viewBox="0 0 104 30" preserveAspectRatio="xMinYMid meet" className="fw-bars" role="img" aria-label={`Frame ${fmtMm(size.total_width)} wide, your face ${fmtMm(faceWidth)}`}>
              <rect x="2" y="3" height="9" rx="2" width={size.total_width * scale} className="fw-bars__frame" />
              <rect x="2" y="17" height="9" rx="2" width={faceWidth * scale} className="fw-bars__face" />
            </svg>
            <figcaption>
              <span className="fw-key fw-key--frame" aria-hidden="true" />
              Frame {fmtMm(size.total_width)} · <span className="fw-key fw-key--face" aria-hidden="true" />
              face {fmtMm(faceWidth)}
              <span className="fw-why__match"> · {widthVerdict(size.total_width, faceWidth).text}</span>
            </figcaption>
          </figure>
        ) : size ? (
          <figure className="fw-why__feature">
            <svg viewBox="0 0 104 30" preserveAspectRatio="xMinYMid meet" className="fw-bars" aria-hidden="true" focusable="false">
              <rect x="2" y="10" height="9" rx="2" width={Math.min(100, size.total_width * 0.7)} className="fw-bars__frame" />
            </svg>
            <figcaption>Frame width {fmtMm(size.total_width)}</figcaption>
          </figure>
        ) : null}
      </div>
      <ul className="fw-why__reasons">
        {item.reasons.map((r) => (
          <li key={r.code + r.text} data-code={r.code}>
            {r.text}
          </li>
        ))}
      </ul>
    </div>
  );
}
