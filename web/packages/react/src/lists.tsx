import type { Category } from '@framewise/client';
import { useFramewise } from './context.js';
import { useAsync, useRecommendations, type UseRecommendationsOptions } from './hooks.js';
import { Rail, type RailProps } from './Rail.js';

type RailPassThrough = Pick<RailProps, 'getHref' | 'onSelect' | 'renderActions' | 'skeletons' | 'headingLevel' | 'className' | 'emptyText'>;

export interface RecommendationCarouselProps extends RailPassThrough, UseRecommendationsOptions {
  title?: string;
}

/** The shopper's personal list ("Recommended for you"), paged lazily through the cursor. */
export function RecommendationCarousel(props: RecommendationCarouselProps) {
  const { title = 'Recommended for you', placement = 'home', pageSize, maxItems, enabled, refreshKey, ...rail } = props;
  const list = useRecommendations({ placement, pageSize, maxItems, enabled, refreshKey });
  return (
    <Rail
      {...rail}
      title={title}
      placement={placement}
      items={list.items}
      recommendationIds={list.recommendationIds}
      loading={list.loading}
      loadingMore={list.loadingMore}
      error={list.error}
      hasMore={list.hasMore}
      loadMore={list.loadMore}
      onRetry={list.reload}
    />
  );
}

export interface RelatedProps extends RailPassThrough {
  styleId: string;
  title?: string;
  limit?: number;
  placement?: string;
}

/** Frames similar in shape, material, rim, colour, size, price and brand. */
export function SimilarFrames({ styleId, title = 'Similar frames', limit = 8, placement = 'similar', ...rail }: RelatedProps) {
  const { client } = useFramewise();
  const { data, loading, error } = useAsync((signal) => client.similar(styleId, limit, signal), [client, styleId, limit]);
  return <Rail {...rail} title={title} placement={placement} items={data?.items ?? []} loading={loading} error={error} />;
}

/** Frames the same shoppers engaged with. */
export function AlsoBought({ styleId, title = 'Shoppers also bought', limit = 8, placement = 'also_bought', ...rail }: RelatedProps) {
  const { client } = useFramewise();
  const { data, loading, error } = useAsync((signal) => client.alsoBought(styleId, limit, signal), [client, styleId, limit]);
  return <Rail {...rail} title={title} placement={placement} items={data?.items ?? []} loading={loading} error={error} />;
}

export interface TrendingStripProps extends RailPassThrough {
  category?: Category;
  title?: string;
  limit?: number;
  placement?: string;
}

/** What is gaining interest now, optionally in one category. */
export function TrendingStrip({ category, title = 'Trending now', limit = 10, placement = 'trending', ...rail }: TrendingStripProps) {
  const { client } = useFramewise();
  const { data, loading, error } = useAsync((signal) => client.trending({ category, limit }, signal), [client, category, limit]);
  return <Rail {...rail} title={title} placement={placement} items={data?.items ?? []} loading={loading} error={error} />;
}
