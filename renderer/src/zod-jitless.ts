// Imported first by main.ts: zod compiles object schemas with new Function() unless told not to,
// which the page's Content-Security-Policy (no 'unsafe-eval') refuses with a console error at load.
// The demo API's board service builds its schemas at import, so this must run before it.
import { config } from 'zod';

config({ jitless: true });
