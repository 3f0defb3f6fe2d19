import type { BuildOptions } from 'esbuild';
export const WIDGET_ENTRY: string;
export const WIDGET_OUT: string;
export const WIDGET_BUILD: BuildOptions;
export function buildWidget(): string;
export function writeWidget(): string;
