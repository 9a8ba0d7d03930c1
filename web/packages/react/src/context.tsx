import { createContext, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { createClient, type Client, type ProfileView } from '@framewise/client';
import { createTracker, type Tracker } from '@framewise/tracker';

/** Who is shopping: a signed-in customer (with their token) or an anonymous session. */
export interface Shopper {
  customerId?: string | null;
  token?: string | null;
  sessionId?: string | null;
}

export interface FramewiseContextValue {
  client: Client;
  tracker: Tracker | null;
  shopper: Shopper;
  /** The shopper's profile when known: face width and colouring feed the "Why this?" panel. */
  profile: ProfileView | null;
  /** Formats a price in minor units. */
  formatPrice: (cents: number, currency: string) => string;
}

const FramewiseContext = createContext<FramewiseContextValue | null>(null);

export interface FramewiseProviderProps {
  shopper: Shopper;
  /** API origin; '' (default) is same origin. */
  baseUrl?: string;
  client?: Client;
  /** Pass one to share it; otherwise one is created. `null` disables tracking. */
  tracker?: Tracker | null;
  /** Whether the shopper consented to tracking (default false: nothing is tracked). */
  consent?: boolean;
  profile?: ProfileView | null;
  locale?: string;
  children: ReactNode;
}

export function FramewiseProvider(props: FramewiseProviderProps) {
  const { shopper, baseUrl = '', consent = false, locale } = props;
  const client = useMemo(
    () => props.client ?? createClient({ baseUrl, token: shopper.token }),
    [props.client, baseUrl, shopper.token],
  );
  const ownTracker = useMemo(
    () => (props.tracker === undefined ? createTracker({ baseUrl }) : null),
    [props.tracker, baseUrl],
  );
  const tracker = props.tracker === undefined ? ownTracker : props.tracker;
  useEffect(() => {
    tracker?.identify({ customerId: shopper.customerId, sessionId: shopper.sessionId, token: shopper.token });
  }, [tracker, shopper.customerId, shopper.sessionId, shopper.token]);
  useEffect(() => {
    tracker?.setConsent(consent);
  }, [tracker, consent]);
  useEffect(() => () => ownTracker?.destroy(), [ownTracker]);

  const value = useMemo<FramewiseContextValue>(() => {
    const formatters = new Map<string, Intl.NumberFormat>();
    return {
      client,
      tracker,
      shopper,
      profile: props.profile ?? null,
      formatPrice: (cents, currency) => {
        let f = formatters.get(currency);
        if (!f) {
          f = new Intl.NumberFormat(locale, { style: 'currency', currency });
          formatters.set(currency, f);
        }
        return f.format(cents / 100);
      },
    };
  }, [client, tracker, shopper, props.profile, locale]);
  return <FramewiseContext.Provider value={value}>{props.children}</FramewiseContext.Provider>;
}

export function useFramewise(): FramewiseContextValue {
  const value = useContext(FramewiseContext);
  if (!value) throw new Error('Framewise components need a <FramewiseProvider> above them');
  return value;
}
