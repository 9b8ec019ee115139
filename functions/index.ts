// The library is a CommonJS bundle whose named exports Node's ESM loader cannot see.
import functions from '@azure/functions';
import * as df from 'durable-functions';
import { functionRegistry, onAppTerminate } from '../src/registry.js';
import { durableClientStarter } from '../src/jobs/durableClientStarter.js';

/**
 * Request bodies reach handlers as streams, so the 1 MiB cap stops reading at the cap
 * (readBodyText). Without this the host reads a whole body, however large, into the worker
 * before any handler runs. What runs only under the host and is not exercised by our tests: the
 * host's own proxying of the stream to the worker (whether it buffers on its side), and its
 * route matching (405/Allow and percent-decoding of route parameters are the local runtime's).
 */
functions.app.setup({ enableHttpStream: true });
functions.app.hook.appTerminate(() => onAppTerminate());

/** Binds every function of the registry to its Azure Functions trigger. No logic lives here. */
for (const fn of functionRegistry) {
  switch (fn.kind) {
    case 'http':
      functions.app.http(fn.name, {
        methods: fn.methods,
        route: fn.route,
        // Anonymous at the host: function keys are checked only at authLevel 'function', which
        // would make every browser user carry a key. App Service Authentication (Entra ID,
        // infra/modules/functionApp.bicep) signs every caller in before the host, and the
        // registry's wrapper checks the caller's role (src/api/auth/authorizeRequest.ts).
        authLevel: 'anonymous',
        extraInputs: [df.input.durableClient()],
        handler: (request, context) => fn.handler(request, context, durableClientStarter(df.getClient(context))),
      });
      break;
    case 'timer':
      functions.app.timer(fn.name, { schedule: fn.schedule, handler: (_timer, context) => fn.handler(context) });
      break;
    case 'queue':
      functions.app.storageQueue(fn.name, {
        queueName: `%${fn.queueSetting}%${fn.suffix}`,
        connection: 'AzureWebJobsStorage',
        extraInputs: [df.input.durableClient()],
        handler: (message, context) => fn.handler(message, context, durableClientStarter(df.getClient(context))),
      });
      break;
    case 'orchestration':
      df.app.orchestration(fn.name, fn.handler);
      break;
    case 'activity':
      df.app.activity(fn.name, { handler: fn.handler });
      break;
  }
}
