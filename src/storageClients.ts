import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { StorageTarget } from './settings.js';

/**
 * The one place that turns a storage setting into SDK clients: a connection string for Azurite
 * and local runs, the app's managed identity (Entra ID) in Azure.
 */
let credential: TokenCredential | undefined;
function identity(): TokenCredential {
  credential ??= new DefaultAzureCredential();
  return credential;
}

export function createBlobServiceClient(target: StorageTarget): BlobServiceClient {
  return target.kind === 'connectionString'
    ? BlobServiceClient.fromConnectionString(target.connectionString)
    : new BlobServiceClient(`https://${target.accountName}.blob.core.windows.net`, identity());
}

export function createQueueServiceClient(target: StorageTarget): QueueServiceClient {
  return target.kind === 'connectionString'
    ? QueueServiceClient.fromConnectionString(target.connectionString)
    : new QueueServiceClient(`https://${target.accountName}.queue.core.windows.net`, identity());
}

export function createTableClient(target: StorageTarget, tableName: string): TableClient {
  return target.kind === 'connectionString'
    ? TableClient.fromConnectionString(target.connectionString, tableName, { allowInsecureConnection: isLoopback(target.connectionString) })
    : new TableClient(`https://${target.accountName}.table.core.windows.net`, tableName, identity());
}

function isLoopback(connectionString: string): boolean {
  return /TableEndpoint=http:\/\/(127\.0\.0\.1|localhost)/i.test(connectionString);
}
