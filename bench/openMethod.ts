import type { MethodId } from './methods.js';
import type { MethodContext, Runner } from './runner.js';

/**
 * Opens a method's runner (connections, DuckDB) in the measuring child process. Each method's
 * modules are imported only when it is the one measured, so a run's peak RSS holds no other
 * method's libraries (DuckDB's native library alone is tens of MB).
 */
export async function openMethod(id: MethodId, context: MethodContext): Promise<Runner> {
  const csvPeer = async (via: 'file' | 'fifo') => context.engine === 'postgres'
    ? (await import('./peerPostgresCopyCsv.js')).openPostgresCopyCsvPeer(context, via)
    : (await import('./peerMariadbConcatWs.js')).openMariadbConcatWsPeer(context, via);
  switch (id) {
    case 'wire': return (await import('./wireRead.js')).openWireRead(context);
    case 'siphon': return (await import('./siphonCopy.js')).openSiphonCopy(context, 'copy');
    case 'siphon-transforms': return (await import('./siphonCopy.js')).openSiphonCopy(context, 'transforms');
    case 'siphon-reconcile': return (await import('./siphonCopy.js')).openSiphonCopy(context, 'reconcile');
    case 'siphon-hashdiff': return (await import('./siphonHashDiff.js')).openSiphonHashDiff(context);
    case 'siphon-read': return (await import('./siphonCopy.js')).openSiphonCopy(context, 'read');
    case 'siphon-encode': return (await import('./siphonCopy.js')).openSiphonCopy(context, 'encode');
    case 'csv-file': return csvPeer('file');
    case 'csv-fifo': return csvPeer('fifo');
    case 'connectorx': return (await import('./pythonPeer.js')).openPythonPeer(context, 'connectorx');
    case 'dlt': return (await import('./pythonPeer.js')).openPythonPeer(context, 'dlt');
  }
}
