// Drawings and colour tables for the visual "Why this?" panel: one lens outline per frame
// shape (the right lens is the left one mirrored), the colour of each colour family, and the
// families that flatter each colouring (undertone, or season when known).
import type { ColourFamily, ColourSeason, Shape, Undertone } from '@framewise/client';

/** The left lens of each shape in a 120 x 50 box; the bridge spans x 52..68. */
const LENS: Record<Shape, string> = {
  round: 'M30 9a16 16 0 1 0 0.01 0z',
  oval: 'M30 10c12 0 21 6 21 15s-9 15-21 15S9 34 9 25s9-15 21-15z',
  square: 'M12 9h37q3 0 3 3v26q0 3-3 3H12q-3 0-3-3V12q0-3 3-3z',
  rectangle: 'M11 13h39q3 0 3 3v18q0 3-3 3H11q-3 0-3-3V16q0-3 3-3z',
  cat_eye: 'M6 10C20 12 40 12 52 15c1 9-3 21-18 23C18 40 10 28 6 10z',
  aviator: 'M9 12c10-3 33-3 43 1c1 12-6 26-20 26C16 39 8 24 9 12z',
  browline: 'M8 11h44v6c-1 13-9 21-22 21S9 30 8 17z',
  geometric: 'M18 9h24l10 16-10 16H18L8 25z',
  wayfarer: 'M7 10h45l-3 24q-1 5-6 5H17q-5 0-6-5z',
  butterfly: 'M5 11c14-2 33-2 47 2c1 14-6 27-20 27C17 40 6 29 5 11z',
  wrap: 'M2 16C14 8 40 8 54 14c0 11-8 20-24 21C14 36 4 28 2 16z',
};

const BRIDGE: Partial<Record<Shape, string>> = {
  aviator: 'M52 14c5-2 11-2 16 0M52 18c5-2 11-2 16 0',
  browline: 'M52 12h16',
  wrap: 'M54 15c4-2 8-2 12 0',
};

export interface FrameOutlineProps {
  shape: Shape;
  /** Lens tint (a CSS colour); none by default. */
  fill?: string;
  title?: string;
  className?: string;
}

/** The outline of a frame shape as an SVG (decorative unless `title` is given). */
export function FrameOutline({ shape, fill = 'none', title, className }: FrameOutlineProps) {
  const lens = LENS[shape] ?? LENS.rectangle;
  const bridge = BRIDGE[shape] ?? 'M52 20q8-5 16 0';
  return (
    <svg
      viewBox="0 0 120 50"
      className={className ?? 'fw-frame-outline'}
      role={title ? 'img' : undefined}
      aria-hidden={title ? undefined : true}
      aria-label={title}
      data-shape={shape}
      focusable="false"
    >
      <g fill={fill} fillOpacity={0.35} stroke="currentColor" strokeWidth={2.5} strokeLinejoin="round">
        <path d={lens} />
        <path d={lens} transform="translate(120 0) scale(-1 1)" />
      </g>
      <path d={bridge} fill="none" stroke="currentColor" strokeWidth={2.5} strokeLinecap="round" />
    </svg>
  );
}

export const COLOUR_HEX: Record<ColourFamily, string> = {
  black: '#1b1b1b',
  tortoise: '#7a4a23',
  brown: '#6b4226',
  gold: '#c9a13b',
  silver: '#b8bcc2',
  gunmetal: '#53575c',
  grey: '#8d9096',
  clear: '#e8eef2',
  blue: '#2f5597',
  green: '#3f7a4a',
  red: '#b3282d',
  pink: '#e08aa8',
  purple: '#6e4a9e',
  orange: '#d9782d',
  yellow: '#e5c43a',
  white: '#f7f7f5',
};

const BY_SEASON: Record<ColourSeason, ColourFamily[]> = {
  spring: ['gold', 'tortoise', 'brown', 'green', 'orange', 'yellow', 'clear'],
  summer: ['silver', 'grey', 'blue', 'pink', 'purple', 'clear'],
  autumn: ['tortoise', 'brown', 'gold', 'green', 'orange', 'red'],
  winter: ['black', 'silver', 'gunmetal', 'blue', 'red', 'white', 'purple'],
};

const BY_UNDERTONE: Record<Undertone, ColourFamily[]> = {
  warm: ['gold', 'tortoise', 'brown', 'green', 'orange', 'red', 'yellow'],
  cool: ['silver', 'gunmetal', 'black', 'grey', 'blue', 'purple', 'pink'],
  neutral: ['black', 'tortoise', 'grey', 'gunmetal', 'clear', 'brown', 'blue', 'green', 'red'],
};

/** The colour families that flatter a shopper's colouring (empty when unknown). */
export function paletteFor(undertone?: Undertone | null, season?: ColourSeason | null): ColourFamily[] {
  if (season) return BY_SEASON[season];
  if (undertone) return BY_UNDERTONE[undertone];
  return [];
}

export const SHAPE_LABEL: Record<Shape, string> = {
  round: 'Round',
  oval: 'Oval',
  square: 'Square',
  rectangle: 'Rectangle',
  cat_eye: 'Cat-eye',
  aviator: 'Aviator',
  browline: 'Browline',
  geometric: 'Geometric',
  wayfarer: 'Wayfarer',
  butterfly: 'Butterfly',
  wrap: 'Wrap',
};
