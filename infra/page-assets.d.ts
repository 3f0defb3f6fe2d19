export type AssetManifest = Record<string, string>;
export const FILES: Record<string, string>;
export const MANIFEST_PATH: string;
export function sha256(body: string): string;
export function hashedName(plainName: string, digest: string): string;
export function manifestOfDisk(): AssetManifest;
export function manifestText(manifest: AssetManifest): string;
export function isManifestCurrent(): boolean;
export function current(): AssetManifest;
