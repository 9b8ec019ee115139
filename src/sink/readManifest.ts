import type { ContainerClient } from '@azure/storage-blob';
import { NonRetryableError } from '../errors/errorTypes.js';
import { manifestSchema, type Manifest } from './manifest.js';

/**
 * The manifest at `blobName` in `container`, or undefined when there is none (yet). A blob that is
 * there but is not a manifest this code reads throws: it may still be one a reader trusts, so a
 * caller must not take it for "no manifest" (cleanup would delete the files it lists).
 */
export async function readManifest(container: ContainerClient, blobName: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = (await container.getBlockBlobClient(blobName).downloadToBuffer()).toString('utf8');
  } catch (err) {
    if (typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new NonRetryableError(`${container.containerName}/${blobName} exists but is not a manifest this code reads`);
  return parsed.data;
}
