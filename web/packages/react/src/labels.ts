import type { components } from '@framewise/client';

type S = components['schemas'];

export const MATERIAL_LABEL: Record<S['Material'], string> = {
  acetate: 'Acetate',
  tr90: 'TR90',
  titanium: 'Titanium',
  stainless_steel: 'Stainless steel',
  monel: 'Monel',
  mixed: 'Mixed materials',
};

export const RIM_LABEL: Record<S['RimType'], string> = {
  full: 'Full rim',
  semi_rimless: 'Semi-rimless',
  rimless: 'Rimless',
};

export const LENS_MATERIAL_LABEL: Record<S['LensMaterial'], string> = {
  cr39: 'CR-39 plastic',
  trivex: 'Trivex',
  polycarbonate: 'Polycarbonate',
  index156: '1.56 mid-index',
  index160: '1.60 high-index',
  index167: '1.67 high-index',
  index174: '1.74 high-index',
};

export const LENS_DESIGN_LABEL: Record<S['LensDesign'], string> = {
  single_vision: 'Single vision',
  progressive: 'Progressive',
  office: 'Office',
  bifocal: 'Bifocal',
  reader: 'Reader',
};

export const TREATMENT_LABEL: Record<S['TreatmentKind'], string> = {
  anti_reflective: 'Anti-reflective',
  hard_coat: 'Scratch-resistant',
  uv: 'UV protection',
  photochromic: 'Photochromic',
  polarized: 'Polarised',
  blue_light: 'Blue-light filter',
  aspheric: 'Aspheric',
};

/** `52□19-145` as printed on a temple. */
export function boxing(size: S['FrameSize']): string {
  return `${size.lens_width}□${size.bridge}-${size.temple_length}`;
}

export function fmtMm(n: number): string {
  return `${Math.round(n * 10) / 10} mm`;
}
