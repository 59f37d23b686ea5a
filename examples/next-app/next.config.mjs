// The example Next.js app, also driven by test/adapters/next.test.ts. In your app, `npm install httpsession`
// and drop the webpack alias: here `httpsession/*` resolves to this repository's sources (hence externalDir),
// and types are checked by the repository's own tsc.
const src = new URL('../../src/', import.meta.url).pathname;
const aliases = { httpsession$: 'index.ts', 'httpsession/next$': 'adapters/next.ts', 'httpsession/storage/redis$': 'storage/redis.ts' };

/** @type {import('next').NextConfig} */
export default {
  experimental: { externalDir: true },
  typescript: { ignoreBuildErrors: true },
  eslint: { ignoreDuringBuilds: true },
  poweredByHeader: false,
  webpack(config) {
    for (const [name, file] of Object.entries(aliases)) config.resolve.alias[name] = src + file;
    return config;
  },
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};
