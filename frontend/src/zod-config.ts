import { z } from "zod";

// Zod probes `new Function` to speed up parsing; the page's CSP forbids eval,
// so say so up front instead of letting each probe log a CSP violation.
z.config({ jitless: true });
