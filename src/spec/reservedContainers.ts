/**
 * Blob containers a pipeline may not write to. When output and host storage are one account
 * (locally, or with SIPHON_DATA_STORAGE unset), these hold the Functions host's keys and locks,
 * the Durable task hub's leases and large messages, and the deployed package: a pipeline writing
 * there could break or take over the app.
 */

/** The Durable task hub (host.json extensions.durableTask.hubName; test/infra checks they agree). */
export const taskHubName = 'SiphonHub';

/** Where Flex Consumption keeps the deployed package (infra/main.bicep deploymentContainerName; test/infra checks). */
export const deploymentContainerName = 'app-package';

/**
 * `azure-webjobs-hosts` (locks, timer status), `azure-webjobs-secrets` (function keys) and the
 * rest of the host's; the Durable Azure Storage provider's `<hub>-leases`, `<hub>-applease` and
 * `<hub>-largemessages` (the hub name in lower case).
 */
export const reservedContainerPrefixes = ['azure-webjobs-', 'azure-functions-', `${taskHubName.toLowerCase()}-`] as const;

/** The deployment package, and the container Linux Consumption plans run packages from. */
export const reservedContainerNames = [deploymentContainerName, 'scm-releases'] as const;

/**
 * Why a container is not for pipeline output; undefined when it is. (Names starting with `$`,
 * such as `$logs`, `$web` and `$root`, never get here: a container name in a spec is lowercase
 * letters, digits and hyphens.)
 */
export function reservedContainerProblem(name: string): string | undefined {
  if ((reservedContainerNames as readonly string[]).includes(name)) return `${name} is reserved for the app's deployment; pick a container of your own`;
  const prefix = reservedContainerPrefixes.find((reserved) => name.startsWith(reserved));
  if (prefix) return `containers starting with ${prefix} belong to the Functions host or the Durable task hub; pick a container of your own`;
  return undefined;
}
