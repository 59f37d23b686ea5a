/**
 * httpsession's Express adapter with the memory store, in Express 5: the same server as
 * `express-httpsession`, the data server-side like express-session's MemoryStore (`res.end` waits for the
 * store's commit).
 */
process.env.BENCH_EXPRESS_STORE = 'memory';
await import('./express-httpsession.ts');
