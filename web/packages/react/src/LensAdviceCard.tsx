import type { LensRecommendation } from '@framewise/client';
import { useFramewise } from './context.js';
import { useAsync } from './hooks.js';
import { LENS_DESIGN_LABEL, LENS_MATERIAL_LABEL, TREATMENT_LABEL, fmtMm } from './labels.js';

export interface LensAdviceCardProps {
  /** The frame the lenses go in (adds thickness and fit checks). */
  styleId?: string;
  /** Defaults to the signed-in shopper. */
  customerId?: string;
  /** Advice already fetched (skips the request). */
  advice?: LensRecommendation;
}

/** Lens advice for the shopper's prescription: material, design, coatings, each with a reason. */
export function LensAdviceCard({ styleId, customerId, advice }: LensAdviceCardProps) {
  const { client, shopper } = useFramewise();
  const id = customerId ?? shopper.customerId ?? null;
  const { data, loading, error } = useAsync<LensRecommendation | null>(
    (signal) => (advice ? Promise.resolve(advice) : id ? client.lensRecommendation(id, { style_id: styleId }, signal) : Promise.resolve(null)),
    [client, id, styleId, advice],
  );
  if (!id && !advice) return null;
  if (loading) {
    return (
      <section className="fw-lens" aria-busy="true" aria-label="Lens advice">
        <div className="fw-skel fw-skel--line" />
        <div className="fw-skel fw-skel--line fw-skel--short" />
      </section>
    );
  }
  if (error || !data) {
    const status = (error as { status?: number } | null)?.status;
    return (
      <section className="fw-lens fw-lens--empty" aria-label="Lens advice">
        <p>{status === 404 ? 'Add your prescription to your profile to get lens advice.' : 'Lens advice is not available right now.'}</p>
      </section>
    );
  }
  return (
    <section className="fw-lens" aria-labelledby="fw-lens-title">
      <h3 id="fw-lens-title" className="fw-lens__title">
        Your lenses
      </h3>
      <dl className="fw-lens__facts">
        <dt>Material</dt>
        <dd>
          {LENS_MATERIAL_LABEL[data.material]} (index {data.index})<small>{data.material_reason}</small>
        </dd>
        <dt>Design</dt>
        <dd>
          {LENS_DESIGN_LABEL[data.design]}
          <small>{data.design_reason}</small>
        </dd>
        {data.frame && (
          <>
            <dt>In this frame</dt>
            <dd>
              Size {data.frame.size_label}: edge {fmtMm(data.frame.thickness.edge)}, centre {fmtMm(data.frame.thickness.centre)}
              {!data.frame.allowed && <small className="fw-lens__warn">This frame cannot take your lenses.</small>}
              {data.frame.findings.map((f) => (
                <small key={f.rule + f.message}>{f.message}</small>
              ))}
            </dd>
          </>
        )}
        {data.sun && (
          <>
            <dt>Sun filter</dt>
            <dd>
              Category {data.sun.category}
              <small>{data.sun.reason}</small>
            </dd>
          </>
        )}
      </dl>
      {data.treatments.length > 0 && (
        <ul className="fw-lens__treatments">
          {data.treatments.map((t) => (
            <li key={t.kind} data-inclusion={t.inclusion}>
              <strong>{TREATMENT_LABEL[t.kind]}</strong> <span className="fw-lens__inclusion">{t.inclusion}</span>
              <small>{t.reason}</small>
            </li>
          ))}
        </ul>
      )}
      {data.assisted_ordering && <p className="fw-lens__warn">{data.assisted_ordering}</p>}
    </section>
  );
}
