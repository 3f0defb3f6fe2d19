import { bundledAssets } from '../lib/enrollment/asset-files';
import type { HttpHandler, HttpResult } from '../lib/http';

/**
 * GET /enroll/assets/{file} (public): the widget's script and stylesheet. Hashed names are immutable and cached for a
 * year; plain names (`widget.js`, `widget.css`) for five minutes.
 */
export const handler: HttpHandler = async (event): Promise<HttpResult> => {
  const found = bundledAssets.find(event.pathParameters?.file ?? '');
  if (!found) {
    return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }, body: 'Not found' };
  }
  const { asset, immutable } = found;
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
      etag: asset.etag,
      'x-content-type-options': 'nosniff',
      'cross-origin-resource-policy': 'same-origin',
    },
    body: asset.body,
  };
};
