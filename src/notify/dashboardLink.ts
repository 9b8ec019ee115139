import type { Settings } from '../settings.js';

/**
 * Where people open the dashboard: SIPHON_PUBLIC_URL when set (a custom domain, a front door),
 * else the function app's own host name in Azure (WEBSITE_HOSTNAME, set by the platform), else
 * the local runtime's default address.
 */
export function dashboardBaseUrl(settings: Pick<Settings, 'SIPHON_PUBLIC_URL'>, env: NodeJS.ProcessEnv = process.env): string {
  if (settings.SIPHON_PUBLIC_URL) return settings.SIPHON_PUBLIC_URL.replace(/\/+$/, '');
  if (env.WEBSITE_HOSTNAME) return `https://${env.WEBSITE_HOSTNAME}`;
  return 'http://127.0.0.1:7071';
}

/** The dashboard's view of a run (src/ui/router.ts: `/api/ui/pipelines/<id>/runs/<runId>`), or of the pipeline without a run. */
export function dashboardLink(baseUrl: string, pipelineId: string, runId?: string): string {
  const parts = ['pipelines', pipelineId, ...(runId === undefined ? [] : ['runs', runId])];
  return `${baseUrl}/api/ui/${parts.map(encodeURIComponent).join('/')}`;
}
