/* global process, require */
// Preloaded into a server whose loaded modules a test checks: prints, on exit, the
// @opentelemetry packages the process loaded.
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\/(@opentelemetry\/[^/]+)\//.exec(file);
    if (match) packages.add(match[1]);
  }
  process.stderr.write(`\nloaded-opentelemetry ${JSON.stringify([...packages].sort())}\n`);
});
