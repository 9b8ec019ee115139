import { z } from 'zod';

/**
 * Zod compiles fast object parsers with `new Function` when it may. The dashboard's
 * Content-Security-Policy (script-src 'self', no 'unsafe-eval') refuses that, and the browser
 * reports every refusal (a securitypolicyviolation event, a console message), even the probe zod
 * catches. The browser bundle imports this module before any schema is built (object schemas
 * decide at construction), so zod never tries. Node never imports it.
 */
z.config({ jitless: true });
